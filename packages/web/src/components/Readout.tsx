// A live value, large enough to read across the bench.

interface Props {
  label: string;
  value: string;
  /** Smaller text under the value (mode, range …). */
  detail?: string | undefined;
  tone?: 'normal' | 'warn' | 'muted' | undefined;
}

export function Readout({ label, value, detail, tone = 'normal' }: Props) {
  return (
    <div className={`readout readout-${tone}`}>
      <span className="readout-label">{label}</span>
      <output className="readout-value" aria-label={label}>
        {value}
      </output>
      {detail && <span className="readout-detail">{detail}</span>}
    </div>
  );
}
