/** Shapes both sides of the fleet protocol share. */

/** What an agent gets back when it enrols. */
export interface Enrolment {
  name: string;
  /** The node's credential: shown this once, stored only as a sha256. */
  token: string;
  labels: Record<string, string>;
  /** The public key node sets are signed with, when the project requires signed revisions. */
  publicKey?: string;
  checkIntervalMs: number;
}
