// An output or input switch. Its position is the instrument's reported state, not the last click.

interface Props {
  label: string;
  /** Reported state; null while unknown. */
  on: boolean | null;
  onToggle(next: boolean): void;
  pending?: boolean | undefined;
  disabled?: boolean | undefined;
  /** Why it is disabled or what failed, shown under it. */
  note?: string | undefined;
  error?: string | undefined;
}

export function Switch({ label, on, onToggle, pending, disabled, note, error }: Props) {
  return (
    <div className="switch-field">
      <button
        type="button"
        role="switch"
        aria-checked={on === true}
        aria-label={label}
        className={`switch ${on ? 'switch-on' : 'switch-off'}`}
        disabled={disabled || pending || on === null}
        onClick={() => on !== null && onToggle(!on)}
      >
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        <span className="switch-text">
          {label}: {on === null ? '—' : on ? 'ON' : 'OFF'}
          {pending ? '…' : ''}
        </span>
      </button>
      {(error ?? note) && (
        <p className={error ? 'field-error' : 'field-note'} role={error ? 'alert' : undefined}>
          {error ?? note}
        </p>
      )}
    </div>
  );
}
