/** A sync or health state as a coloured label (colour is never the only signal: the word is shown). */
export function Badge({ state }: { state: string }) {
  return <span class={`badge badge-${state.toLowerCase()}`}>{state}</span>;
}
