// A choice the instrument owns (load mode, meter function, coupling): it shows the reported value, and a change
// is sent at once.

import { useId } from 'react';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  label: string;
  /** Reported value; null while unknown. */
  value: string | null;
  options: readonly { value: string; label: string }[];
  onChange(value: string): void;
  pending?: boolean | undefined;
  disabled?: boolean | undefined;
  error?: string | undefined;
}

export function Select({ label, value, options, onChange, pending, disabled, error }: Props) {
  const id = useId();
  const known = value === null || options.some((o) => o.value === value);
  return (
    <div className="select-field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value)}
        disabled={disabled || pending || value === null}
        aria-invalid={error ? true : undefined}
      >
        {value === null && <option value="">—</option>}
        {value !== null && !known && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorAlert message={error} />
    </div>
  );
}
