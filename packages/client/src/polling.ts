// REST polling: how a stream keeps delivering while the WebSocket is down. Each stream type maps to the REST
// call that reads the same data (readings → GET …/readings; measurements and waveform → the command that the
// server's own poller runs), and each poll carries the server's time of the reading.

import { LabLinkError, type RestApi } from './rest.js';
import type { StreamType } from './types.js';

export interface Polled {
  data: Record<string, unknown>;
  /** Server time of the reading. */
  timestamp: string;
}

const READ: Record<StreamType, (rest: RestApi, id: string, channel: number) => Promise<Polled>> = {
  async readings(rest, id, channel) {
    const data = (await rest.readings(id, channel)) as unknown as Record<string, unknown>;
    return {
      data,
      timestamp: typeof data.timestamp === 'string' ? data.timestamp : new Date().toISOString(),
    };
  },
  async measurements(rest, id, channel) {
    const reply = await rest.commandResponse<Record<string, unknown>>(id, 'get_measurements', { channel });
    return { data: reply.data, timestamp: reply.timestamp };
  },
  async waveform(rest, id, channel) {
    const reply = await rest.commandResponse<Record<string, unknown>>(id, 'get_waveform', { channel });
    // The WebSocket stream's waveform names its instrument; the command's result does not.
    return { data: { ...reply.data, equipment_id: id }, timestamp: reply.timestamp };
  },
};

export interface PollTarget {
  rest: RestApi;
  equipment_id: string;
  stream_type: StreamType;
  channel: number;
  /** The period now, read before each poll (listeners may come and go meanwhile). */
  periodMs(): number;
  onData(polled: Polled): void;
  /** The server says this stream can never be served (404, 400, 501); polling has stopped. */
  onFatal(error: LabLinkError): void;
  /** Any failed poll (before onFatal, if fatal): an unreachable server has status 0. */
  onError?(error: unknown): void;
}

/** Polls at a fixed rate until the returned function is called; the first poll is at once. */
export function poll(target: PollTarget): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let active = true;
  const tick = async () => {
    const began = Date.now();
    try {
      const polled = await READ[target.stream_type](target.rest, target.equipment_id, target.channel);
      if (active) target.onData(polled);
    } catch (err) {
      if (active) target.onError?.(err);
      // Unreachable server and 503 (instrument reconnecting) pass; a missing or unsuitable instrument does not.
      if (active && err instanceof LabLinkError && [400, 404, 501].includes(err.status)) {
        active = false;
        target.onFatal(err);
      }
    }
    // Fixed rate: the next poll is due one period after this one began, however long the request took.
    if (active) timer = setTimeout(tick, Math.max(0, target.periodMs() - (Date.now() - began)));
  };
  void tick();
  return () => {
    active = false;
    clearTimeout(timer);
  };
}
