// A setpoint the instrument owns. Unless the user is typing, the field shows what the instrument reports (e.g.
// readings' voltage_set), so it never claims a value the instrument did not take: after a refusal it falls back
// to the instrument's value and the server's reason stays next to it.

import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';

interface Props {
  label: string;
  unit: string;
  /** What the instrument reports now; null while unknown. */
  reported: number | null;
  /** Text of a value in the input (no unit), e.g. v => v.toFixed(3). */
  format(value: number): string;
  /** Reads what was typed; null when it is not a value. */
  parse(text: string): number | null;
  /** Sends the value; resolves true when the instrument took it. */
  onSubmit(value: number): Promise<boolean>;
  /** The server's reason for the last refusal. */
  error?: string | undefined;
  hint?: string | undefined;
  pending?: boolean | undefined;
  disabled?: boolean | undefined;
}

export function SetpointField({
  label,
  unit,
  reported,
  format,
  parse,
  onSubmit,
  error,
  hint,
  pending,
  disabled,
}: Props) {
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [typo, setTypo] = useState<string | null>(null);
  // While the field has the focus its text holds still: a reading arriving between a click (or a select-all) and
  // the first key must not change the text under the caret ("5" typed into a field that just became "0.000" would
  // set 0.0005 V). The note below it keeps showing the instrument's value.
  const [frozen, setFrozen] = useState<string | null>(null);
  const live = reported === null ? '' : format(reported);
  const shown = draft ?? frozen ?? live;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (draft === null) return;
    const value = parse(draft);
    if (value === null) {
      setTypo(`"${draft}" is not a number`);
      return;
    }
    setTypo(null);
    await onSubmit(value);
    // Taken or refused, the field goes back to showing the instrument's own value, live.
    setDraft(null);
    setFrozen(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') {
      setDraft(null);
      setTypo(null);
      setFrozen(null);
    }
  };

  const problem = typo ?? error;
  const note =
    problem ??
    (draft !== null
      ? `Instrument: ${reported === null ? '—' : `${format(reported)} ${unit}`} · Enter to set, Esc to discard`
      : hint);

  return (
    <form className={`setpoint${draft !== null ? ' editing' : ''}`} onSubmit={submit}>
      <label htmlFor={id}>{label}</label>
      <div className="setpoint-row">
        <input
          id={id}
          inputMode="decimal"
          autoComplete="off"
          value={shown}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          onFocus={() => setFrozen(live)}
          onBlur={() => setFrozen(null)}
          disabled={disabled || pending}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-note`}
        />
        <span className="unit">{unit}</span>
        <button type="submit" disabled={disabled || pending || draft === null} aria-label={`Set ${label}`}>
          {pending ? '…' : 'Set'}
        </button>
      </div>
      <p
        id={`${id}-note`}
        className={problem ? 'field-error' : 'field-note'}
        role={problem ? 'alert' : undefined}
      >
        {note}
      </p>
    </form>
  );
}
