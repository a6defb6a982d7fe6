/** What a policy's match looks at: a resource's kind, namespace and labels. */
export interface PolicySubject {
  kind: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

export type Predicate = (subject: PolicySubject) => boolean;
