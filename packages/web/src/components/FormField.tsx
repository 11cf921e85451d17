// A labelled form field with the server's refusal shown under it, and the decimal input the set-up forms use.
// The Alarms editor and the Acquisition set-up share them.

import { type ReactNode, useId } from 'react';
import { ErrorAlert } from './ErrorAlert';

export function FormField({
  label,
  error,
  wide,
  children,
}: {
  label: string;
  error: string | undefined;
  wide?: boolean;
  children(id: string, invalid: true | undefined): ReactNode;
}) {
  const id = useId();
  return (
    <div className={`form-field${wide ? ' wide' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, error ? true : undefined)}
      <ErrorAlert message={error} />
    </div>
  );
}

/** A number typed as text (so "1e-3" or "2,5" can be checked by the form), with its unit after it. */
export function NumberField<K extends string>({
  label,
  name,
  unit,
  placeholder,
  form,
  set,
  errors,
}: {
  label: string;
  name: K;
  unit: string;
  placeholder?: string;
  form: Record<K, string>;
  set(key: K, value: string): void;
  errors: Partial<Record<string, string>>;
}) {
  return (
    <FormField label={label} error={errors[name]}>
      {(id, invalid) => (
        <span className="setpoint-row">
          <input
            id={id}
            inputMode="decimal"
            value={form[name]}
            placeholder={placeholder}
            aria-invalid={invalid}
            onChange={(e) => set(name, e.target.value)}
          />
          {unit && <span className="unit">{unit}</span>}
        </span>
      )}
    </FormField>
  );
}
