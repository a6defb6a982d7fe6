/**
 * The dependsOn graph: cycle detection (Tarjan's strongly connected components)
 * and the closure used by `--target`. Pure functions over ids.
 */

export type Edges = ReadonlyMap<string, readonly string[]>;

/** Every cycle, as the list of its members (a self-dependency is a cycle of one). */
export function findCycles(nodes: Iterable<string>, edges: Edges): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];

  // Iterative Tarjan: manifests with long dependency chains must not overflow the JS stack.
  for (const root of nodes) {
    if (indexOf.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    indexOf.set(root, index);
    low.set(root, index++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const deps = edges.get(frame.node) ?? [];
      if (frame.next < deps.length) {
        const dep = deps[frame.next++];
        // A dependency on an unknown id is reported elsewhere; it cannot be part of a cycle.
        if (!edges.has(dep)) continue;
        if (!indexOf.has(dep)) {
          indexOf.set(dep, index);
          low.set(dep, index++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ node: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(dep)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === indexOf.get(frame.node)) {
        const members: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          members.push(member);
        } while (member !== frame.node);
        const selfLoop = members.length === 1 && (edges.get(frame.node) ?? []).includes(frame.node);
        if (members.length > 1 || selfLoop) cycles.push(members.reverse());
      }
    }
  }
  return cycles;
}

/** The given ids plus everything they depend on, transitively. */
export function dependencyClosure(ids: Iterable<string>, edges: Edges): Set<string> {
  const out = new Set<string>();
  const todo = [...ids];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    for (const dep of edges.get(id) ?? []) todo.push(dep);
  }
  return out;
}

/** Reverses edges: for each node, who depends on it. */
export function dependents(edges: Edges): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [node, deps] of edges) {
    for (const dep of deps) {
      let list = out.get(dep);
      if (!list) out.set(dep, (list = []));
      list.push(node);
    }
  }
  return out;
}
