// One live stream of an instrument (readings, measurements or waveform), started when a component shows it and
// stopped when it goes away. The SDK shares it over the WebSocket, or polls REST while the socket is down, and
// resumes after a reconnect: components only see samples.

import type { StreamMessage, StreamType } from '@lablink/client';
import { useEffect, useRef, useState } from 'react';
import { useClient } from '../app/client';

export interface StreamSpec {
  equipmentId: string;
  streamType: StreamType;
  channel: number;
  intervalMs: number;
}

/** One message of a stream: `data`, the server time it was read (`timestamp`), `seq`, and `source` (ws or poll). */
export type Sample<T> = StreamMessage<T>;

export interface StreamState<T> {
  latest: Sample<T> | null;
  /** Why the server ended the stream (the instrument went away …); null while it runs. */
  stopped: string | null;
}

/**
 * Subscribes while `spec` is non-null. `onSample` (optional) sees every sample, e.g. to feed a chart; the
 * returned `latest` re-renders the component with the newest one.
 */
export function useStream<T>(
  spec: StreamSpec | null,
  onSample?: (sample: Sample<T>) => void,
): StreamState<T> {
  const { realtime } = useClient();
  const [state, setState] = useState<StreamState<T>>({ latest: null, stopped: null });
  const callback = useRef(onSample);
  callback.current = onSample;

  const { equipmentId, streamType, channel, intervalMs } = spec ?? {};
  useEffect(() => {
    if (!equipmentId || !streamType || channel === undefined || intervalMs === undefined) return;
    setState({ latest: null, stopped: null });
    return realtime.stream<T>(
      { equipment_id: equipmentId, stream_type: streamType, channel, interval_ms: intervalMs },
      (sample) => {
        callback.current?.(sample);
        setState({ latest: sample, stopped: null });
      },
      (reason) => setState((s) => ({ ...s, stopped: reason })),
    );
  }, [realtime, equipmentId, streamType, channel, intervalMs]);

  return state;
}
