// One session: its state and controls (start, pause, resume, stop, trigger), the chart — live from the
// acquisition stream while it records, from storage (GET …/data) once it has stopped —, the quality footer, the
// statistics of a chosen channel, and export with its progress and download.

import type { AcquisitionStatus, AcquisitionStreamMessage } from '@lablink/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { RoleScope } from '../../app/auth';
import { useClient, useResync } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { ErrorAlert } from '../../components/ErrorAlert';
import { describeError } from '../../lib/errors';
import { AcquisitionChart } from './AcquisitionChart';
import { ExportBox } from './ExportBox';
import {
  actionsFor,
  isFinished,
  LiveBuffer,
  type QualityFigures,
  QualityTracker,
  type SessionAction,
  splitChannels,
  stateText,
  totalSamples,
} from './model';
import { StatsBox } from './StatsBox';

/** Stored samples drawn when a session is opened (the server's most per request). */
const STORED_SAMPLES = 100_000;
/** Samples kept on the live chart. */
const LIVE_POINTS = 50_000;
const REDRAW_MS = 100;
const STATUS_MS = 2000;

const ACTION_TEXT: Record<SessionAction, string> = {
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  trigger: 'Trigger now',
};

export function SessionView({
  acquisitionId,
  onChanged,
}: {
  acquisitionId: string;
  /** The session's state changed (the sessions list shows it). */
  onChanged?: () => void;
}) {
  const { rest, realtime } = useClient();
  const notify = useNotify();
  const [status, setStatus] = useState<AcquisitionStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<SessionAction | null>(null);
  const [data, setData] = useState<uPlot.AlignedData>([[]]);
  const [figures, setFigures] = useState<QualityFigures | null>(null);
  const [state, setState] = useState<string | null>(null);
  /** The session's stats as the last live block carried them (newer than the status read over REST). */
  const [liveStats, setLiveStats] = useState<Record<string, unknown> | null>(null);

  const refresh = useCallback(() => {
    rest
      .acquisitionStatus(acquisitionId)
      .then((s) => {
        setStatus(s);
        setState(s.state);
        setError(null);
      })
      .catch((err) => setError(describeError(err)));
  }, [rest, acquisitionId]);
  useEffect(refresh, [refresh]);
  useResync(refresh, 3000);
  const running = state !== null && !isFinished(state);
  // While it runs, the status (stats, waveform captures) is re-read now and then besides the live blocks.
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(refresh, STATUS_MS);
    return () => window.clearInterval(timer);
  }, [running, refresh]);

  const { sampled: channels, waveforms } = splitChannels(status?.channels ?? []);
  const channelKey = channels.join('\n');
  const finished = state !== null && isFinished(state);
  const rate = typeof status?.config.sample_rate === 'number' ? status.config.sample_rate : 0;

  // Live: what storage has so far, then the stream's new samples. Finished: what storage has.
  const buffer = useRef<LiveBuffer | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: channelKey stands for channels
  useEffect(() => {
    if (!status || channels.length === 0) return;
    const live = new LiveBuffer(channels, finished ? STORED_SAMPLES : LIVE_POINTS, rate);
    buffer.current = live;
    let current = true;
    let dirty = false;
    const tracker = new QualityTracker();
    rest
      .acquisitionData(acquisitionId, { num_samples: finished ? STORED_SAMPLES : LIVE_POINTS })
      .then((stored) => {
        if (!current) return;
        live.load(stored);
        dirty = true;
      })
      .catch((err) => {
        if (current) setError(`Stored samples not read: ${describeError(err)}`);
      });
    const redraw = window.setInterval(() => {
      if (dirty) {
        dirty = false;
        setData(live.data());
      }
    }, REDRAW_MS);
    if (finished) {
      return () => {
        current = false;
        window.clearInterval(redraw);
      };
    }
    const quality = window.setInterval(() => setFigures(tracker.figures(Date.now())), 1000);
    const stop = realtime.acquisitionStream(
      acquisitionId,
      (block: AcquisitionStreamMessage) => {
        tracker.block(block, Date.now());
        if (live.push(block) > 0) dirty = true;
        setState(block.state);
        setLiveStats(block.stats);
      },
      {
        interval_ms: 100,
        binary: true,
        onStopped: (reason) => setError(`Live data stopped: ${reason}`),
        onResync: () => refresh(),
      },
    );
    return () => {
      current = false;
      stop();
      window.clearInterval(redraw);
      window.clearInterval(quality);
    };
  }, [rest, realtime, acquisitionId, channelKey, finished, status !== null, rate]);

  // A state change seen on the stream: re-read the status (stats, stop reason) once.
  useEffect(() => {
    if (state && status && state !== status.state) refresh();
  }, [state, status, refresh]);
  const changed = useRef(onChanged);
  changed.current = onChanged;
  const statusState = status?.state;
  useEffect(() => {
    if (statusState) changed.current?.();
  }, [statusState]);

  const act = async (action: SessionAction) => {
    setBusy(action);
    try {
      const call = {
        start: rest.startAcquisition,
        pause: rest.pauseAcquisition,
        resume: rest.resumeAcquisition,
        stop: rest.stopAcquisition,
        trigger: rest.triggerAcquisition,
      }[action];
      const result = await call.call(rest, acquisitionId);
      notify('success', result.message || `${ACTION_TEXT[action]}: done`);
      refresh();
    } catch (err) {
      notify('error', `${ACTION_TEXT[action]} refused: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  if (!status) {
    return (
      <section className="card" aria-label="Session">
        {error ? <ErrorAlert message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );
  }

  const triggerType = (status.config.trigger_config as { trigger_type?: string } | undefined)?.trigger_type;
  const shownState = state ?? status.state;
  const stats = newerStats(status.stats, finished ? null : liveStats);
  const total = totalSamples(stats);

  return (
    <section className="acq-session card" aria-label={`Session ${status.name ?? status.acquisition_id}`}>
      <header className="card-header">
        <h3>
          {status.name || 'Session'} <span className="muted mono small">{status.acquisition_id}</span>
        </h3>
        <span className={`badge acq-state acq-state-${shownState}`} data-state={shownState}>
          {stateText(shownState)}
        </span>
      </header>
      <p className="muted small">
        {status.mode} · {rate} Hz · {channels.length} channel{channels.length === 1 ? '' : 's'}
        {status.started_at ? ` · started ${new Date(status.started_at).toLocaleString()}` : ''}
        {status.stopped_at ? ` · stopped ${new Date(status.stopped_at).toLocaleString()}` : ''}
        {status.stop_reason ? ` (${status.stop_reason})` : ''}
      </p>
      <RoleScope>
        <div className="toolbar" role="toolbar" aria-label="Session controls">
          {actionsFor(shownState, triggerType).map((action) => (
            <button
              key={action}
              type="button"
              className={action === 'stop' ? 'danger' : action === 'start' ? '' : 'secondary'}
              disabled={busy !== null}
              onClick={() => act(action)}
            >
              {busy === action ? `${ACTION_TEXT[action]}…` : ACTION_TEXT[action]}
            </button>
          ))}
        </div>
      </RoleScope>
      <ErrorAlert message={error} />
      {channels.length > 0 && (
        <AcquisitionChart
          title={finished ? 'Recorded samples' : 'Live samples'}
          channels={channels}
          data={data}
          live={!finished}
        />
      )}
      {waveforms.length > 0 && (
        <p className="field-note">
          Waveform captures of {waveforms.join(', ')}:{' '}
          <span data-testid="acq-captures">
            {typeof stats.total_blocks === 'number' ? stats.total_blocks : 0}
          </span>{' '}
          recorded, each stored whole with its time base (in the export; the live waveform is on the scope's
          page).
        </p>
      )}
      <section className="acq-quality" aria-label="Quality">
        {finished ? (
          <>
            <Figure label="Samples" value={String(total ?? data[0]?.length ?? 0)} />
            <Figure label="Shown" value={String(data[0]?.length ?? 0)} />
          </>
        ) : (
          <>
            <Figure
              label="Data rate"
              value={figures ? `${figures.samplesPerSecond} samples/s` : '—'}
              testId="acq-rate"
            />
            <Figure
              label="Latency"
              value={figures?.latencyMs != null ? `${figures.latencyMs} ms` : '—'}
              testId="acq-latency"
            />
            <Figure
              label="Samples"
              value={String(Math.max(figures?.samples ?? 0, total ?? 0))}
              testId="acq-samples"
            />
            <Figure label="Gaps" value={String(figures?.gaps ?? 0)} testId="acq-gaps" />
            <Figure
              label="Buffer"
              value={figures?.bufferUse != null ? `${Math.round(figures.bufferUse * 100)} %` : '—'}
              testId="acq-buffer"
            />
          </>
        )}
      </section>
      <div className="acq-tools">
        <StatsBox acquisitionId={acquisitionId} channels={channels} />
        <ExportBox acquisitionId={acquisitionId} />
      </div>
    </section>
  );
}

/** The live block's stats while they count at least as far as the status read over REST. */
function newerStats(
  rest: Record<string, unknown>,
  live: Record<string, unknown> | null,
): Record<string, unknown> {
  if (!live) return rest;
  const count = (s: Record<string, unknown>) =>
    (totalSamples(s) ?? 0) + (typeof s.total_blocks === 'number' ? s.total_blocks : 0);
  return count(live) >= count(rest) ? live : rest;
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="figure">
      <span className="readout-label">{label}</span>
      <span className="mono" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}
