/**
 * A button that acts only after a confirmation dialog (native <dialog>:
 * focus is trapped, Escape cancels). Shows the outcome or the error.
 */
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';

interface Props {
  label: string;
  /** What will happen, asked as a question. */
  question: ComponentChildren;
  action: (note: string) => Promise<unknown>;
  /** Ask for a note (audited). */
  withNote?: boolean;
  danger?: boolean;
  onDone?: () => void;
}

export function ConfirmButton({ label, question, action, withNote, danger, onDone }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const open = () => {
    setMessage(undefined);
    dialog.current?.showModal();
  };
  const confirm = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await action(note);
      setMessage({ ok: true, text: `${label}: done` });
      dialog.current?.close();
      onDone?.();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.explain() : String(err) });
      dialog.current?.close();
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm">
      <button type="button" class={danger ? 'danger' : 'primary'} onClick={open} disabled={busy}>
        {label}
      </button>
      {message && (
        <span role={message.ok ? 'status' : 'alert'} class={message.ok ? 'ok' : 'error'}>
          {message.text}
        </span>
      )}
      <dialog ref={dialog} aria-label={`Confirm: ${label}`}>
        <form method="dialog" onSubmit={(e) => void confirm(e)}>
          <p>{question}</p>
          {withNote && (
            <label>
              Note (for the audit log)
              <input
                type="text"
                value={note}
                onInput={(e) => setNote((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
          <div class="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={danger ? 'danger' : 'primary'} disabled={busy}>
              {`Confirm: ${label}`}
            </button>
          </div>
        </form>
      </dialog>
    </span>
  );
}
