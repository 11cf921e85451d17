// Statistics of one channel, computed by the server over the stored samples (not only the live ring): rolling
// figures, the FFT (drawn as a spectrum, with its dominant frequency, THD and SNR), trend, quality, peaks and
// crossings.

import type { StatsKind } from '@lablink/client';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useClient } from '../../app/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Plot } from '../../components/Plot';
import { describeError } from '../../lib/errors';
import { siNumber } from '../../lib/format';
import { fftColumns, statRows, statsBody } from './model';

const KINDS: readonly { value: StatsKind; label: string }[] = [
  { value: 'rolling', label: 'Summary (mean, std, min, max, rms …)' },
  { value: 'fft', label: 'FFT (spectrum)' },
  { value: 'trend', label: 'Trend' },
  { value: 'quality', label: 'Quality' },
  { value: 'peaks', label: 'Peaks' },
  { value: 'crossings', label: 'Crossings' },
];

export function StatsBox({
  acquisitionId,
  channels,
}: {
  acquisitionId: string;
  channels: readonly string[];
}) {
  const { rest } = useClient();
  const [channel, setChannel] = useState(channels[0] ?? '');
  const [kind, setKind] = useState<StatsKind>('rolling');
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const [shownKind, setShownKind] = useState<StatsKind | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const channelId = useId();
  const kindId = useId();

  useEffect(() => {
    if (!channels.includes(channel)) setChannel(channels[0] ?? '');
  }, [channels, channel]);

  const compute = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(statsBody(kind, await rest.acquisitionStats(acquisitionId, kind, { channel })));
      setShownKind(kind);
    } catch (err) {
      setResult(null);
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const spectrum = shownKind === 'fft' ? fftColumns(result) : null;
  const rows = statRows(
    result && spectrum
      ? Object.fromEntries(
          Object.entries(result).filter(([k]) => !['frequencies', 'magnitudes', 'phases'].includes(k)),
        )
      : result,
  );

  return (
    <section className="acq-stats" aria-label="Statistics">
      <h4>Statistics</h4>
      <form className="inline-form" onSubmit={compute} aria-label="Statistics">
        <label htmlFor={channelId}>Channel</label>
        <select id={channelId} value={channel} onChange={(e) => setChannel(e.target.value)}>
          {channels.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label htmlFor={kindId}>Figures</label>
        <select id={kindId} value={kind} onChange={(e) => setKind(e.target.value as StatsKind)}>
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy || !channel}>
          {busy ? 'Computing…' : 'Compute'}
        </button>
      </form>
      <ErrorAlert message={error} />
      {spectrum && (
        <Plot
          title="FFT spectrum"
          time={false}
          xLabel="Hz"
          formatX={(v) => siNumber(v, 3)}
          series={[{ label: 'magnitude', color: '#9b5de5', scale: 'm', format: (v) => siNumber(v, 4) }]}
          axes={[{ scale: 'm', label: 'magnitude' }]}
          data={spectrum}
          height={200}
          data-testid="acq-fft"
        />
      )}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="data-table compact" aria-label="Results">
            <tbody>
              {rows.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td className="num mono">{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
