import { describe, expect, it } from 'vitest';
import {
  BATCH_TYPE,
  CLIENT_TYPES,
  ClientMessages,
  decodeBinary,
  ERROR_CODES,
  EVENT_TYPES,
  encode,
  encodeBinary,
  MIN_BINARY_ARRAY,
  type ParsedClientMessage,
  ProtocolError,
  parseClientMessage,
  REPLY_TYPES,
  ServerMessages,
  toJsonForm,
  validateServerMessage,
} from '../src/index.js';

function refused(text: string): ProtocolError {
  try {
    parseClientMessage(text);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error(`accepted: ${text}`);
}

describe('encode', () => {
  it('writes dates as ISO-8601 UTC with Z and non-finite numbers as null', () => {
    const text = encode({
      at: new Date(Date.UTC(2025, 10, 13, 10, 30, 0, 5)),
      values: [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      nested: { v: Number.NaN },
    });
    expect(text).toBe('{"at":"2025-11-13T10:30:00.005Z","values":[1.5,null,null,null],"nested":{"v":null}}');
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('writes typed arrays as arrays and bigints as numbers', () => {
    expect(encode({ a: new Float32Array([1, Number.NaN]), b: 3n })).toBe('{"a":[1,null],"b":3}');
  });
});

describe('client messages', () => {
  it('has one schema per client type, and the original five are spelled as the seed spells them', () => {
    expect(Object.keys(ClientMessages).sort()).toEqual(Object.values(CLIENT_TYPES).sort());
    for (const t of [
      'start_stream',
      'stop_stream',
      'start_acquisition_stream',
      'stop_acquisition_stream',
      'ping',
    ]) {
      expect(Object.keys(ClientMessages)).toContain(t);
    }
  });

  it('accepts the seed client start_stream, extra fields included', () => {
    const { message } = parseClientMessage(
      '{"type":"start_stream","equipment_id":"psu_1","stream_type":"readings","interval_ms":500,"priority":"high"}',
    );
    expect(message).toMatchObject({ type: 'start_stream', equipment_id: 'psu_1', interval_ms: 500 });
  });

  it('echoes request_id even on errors', () => {
    expect(refused('{"type":"start_stream","request_id":"r1"}')).toMatchObject({
      code: ERROR_CODES.missingField,
      field: 'equipment_id',
      requestId: 'r1',
    });
    expect(parseClientMessage('{"type":"ping","request_id":42}').requestId).toBe(42);
  });

  it.each([
    ['{not json', ERROR_CODES.invalidJson, undefined],
    ['[1,2]', ERROR_CODES.invalidJson, undefined],
    ['"ping"', ERROR_CODES.invalidJson, undefined],
    ['{}', ERROR_CODES.missingField, 'type'],
    ['{"type":7}', ERROR_CODES.invalidField, 'type'],
    ['{"type":"reboot"}', ERROR_CODES.unknownType, 'type'],
    ['{"type":"start_stream","equipment_id":""}', ERROR_CODES.invalidField, 'equipment_id'],
    ['{"type":"start_stream","equipment_id":"x","interval_ms":5}', ERROR_CODES.invalidField, 'interval_ms'],
    [
      '{"type":"start_stream","equipment_id":"x","interval_ms":100.5}',
      ERROR_CODES.invalidField,
      'interval_ms',
    ],
    [
      '{"type":"start_stream","equipment_id":"x","interval_ms":600000}',
      ERROR_CODES.invalidField,
      'interval_ms',
    ],
    [
      '{"type":"start_stream","equipment_id":"x","stream_type":"audio"}',
      ERROR_CODES.invalidField,
      'stream_type',
    ],
    ['{"type":"start_stream","equipment_id":"x","channel":0}', ERROR_CODES.invalidField, 'channel'],
    ['{"type":"subscribe"}', ERROR_CODES.missingField, 'topics'],
    ['{"type":"subscribe","topics":["weather"]}', ERROR_CODES.invalidField, 'topics.0'],
    ['{"type":"stop_acquisition_stream"}', ERROR_CODES.missingField, 'acquisition_id'],
    ['{"type":"hello","batch_ms":5}', ERROR_CODES.invalidField, 'batch_ms'],
    ['{"type":"hello","batch_ms":5000}', ERROR_CODES.invalidField, 'batch_ms'],
    ['{"type":"hello","batch_ms":"100"}', ERROR_CODES.invalidField, 'batch_ms'],
  ])('refuses %s with %s', (text, code, field) => {
    const err = refused(text);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message.length).toBeGreaterThan(5);
  });

  it('names the allowed values of an enum', () => {
    expect(refused('{"type":"start_stream","equipment_id":"x","stream_type":"audio"}').message).toContain(
      '"readings", "measurements", "waveform"',
    );
  });

  it('types parsed messages by their type', () => {
    const { message } = parseClientMessage('{"type":"stop_stream","equipment_id":"a"}');
    const check = (m: ParsedClientMessage) => (m.type === 'stop_stream' ? m.equipment_id : '');
    expect(check(message)).toBe('a');
  });
});

describe('server messages', () => {
  it('has a schema for every reply, data and event type', () => {
    const types = [
      ...Object.values(REPLY_TYPES),
      'stream_data',
      'acquisition_stream',
      BATCH_TYPE,
      ...Object.values(EVENT_TYPES).flat(),
    ];
    expect(Object.keys(ServerMessages).sort()).toEqual([...new Set(types)].sort());
  });

  it('validates a batch of stream_data messages', () => {
    const data = {
      type: 'stream_data',
      topic: 'stream:psu:readings:1',
      seq: 3,
      timestamp: '2025-11-13T10:30:00.000Z',
      equipment_id: 'psu',
      stream_type: 'readings',
      channel: 1,
      data: {
        equipment_id: 'psu',
        timestamp: '2025-11-13T10:30:00.000Z',
        channel: 1,
        voltage_set: 5,
        current_set: 1,
        voltage_actual: 5.001,
        current_actual: 0.5,
        output_enabled: true,
        in_cv_mode: true,
        in_cc_mode: false,
      },
    };
    expect(validateServerMessage({ type: BATCH_TYPE, messages: [data, { ...data, seq: 4 }] })).toEqual([]);
    expect(validateServerMessage({ type: BATCH_TYPE, messages: [] })).not.toEqual([]);
    expect(validateServerMessage({ type: BATCH_TYPE, messages: [{ ...data, seq: 0 }] })).not.toEqual([]);
    // A bad payload is named by its place in the batch and its field.
    expect(
      validateServerMessage({
        type: BATCH_TYPE,
        messages: [data, { ...data, data: { ...data.data, channel: 'x' } }],
      }),
    ).toEqual(['batch/messages/1/data/channel: must be integer']);
    expect(parseClientMessage('{"type":"hello","batch_ms":100}').message).toMatchObject({ batch_ms: 100 });
  });

  it('validates exact shapes and reports what is wrong', () => {
    const data = {
      type: 'stream_data',
      topic: 'stream:psu:readings:1',
      seq: 3,
      timestamp: '2025-11-13T10:30:00.000Z',
      equipment_id: 'psu',
      stream_type: 'readings',
      channel: 1,
      data: {
        equipment_id: 'psu',
        timestamp: '2025-11-13T10:30:00.000Z',
        channel: 1,
        voltage_set: 5,
        current_set: 1,
        voltage_actual: 5.001,
        current_actual: 0.5,
        output_enabled: true,
        in_cv_mode: true,
        in_cc_mode: false,
      },
    };
    expect(validateServerMessage(data)).toEqual([]);
    expect(validateServerMessage({ ...data, timestamp: '2025-11-13T10:30:00+01:00' })).not.toEqual([]);
    expect(validateServerMessage({ ...data, extra: 1 })).not.toEqual([]);
    expect(validateServerMessage({ ...data, seq: 0 })).not.toEqual([]);
    // Contents too: the payload of the stream's reading kind, exactly.
    expect(validateServerMessage({ ...data, data: { voltage_actual: 5 } })).not.toEqual([]);
    expect(validateServerMessage({ ...data, data: { ...data.data, extra: 1 } })).not.toEqual([]);
    expect(validateServerMessage({ ...data, stream_type: 'waveform' })).not.toEqual([]);
    expect(validateServerMessage({ type: 'mystery' })).toEqual(['unknown server message type "mystery"']);
    expect(
      validateServerMessage({ type: 'error', code: 'invalid_json', detail: 'x', request_id: 'a' }),
    ).toEqual([]);
    expect(validateServerMessage({ type: 'error', code: 'oops', detail: 'x' })).not.toEqual([]);
  });

  it('validates the seed event shapes', () => {
    const base = { topic: 'alarms', seq: 1, timestamp: '2025-11-13T10:30:00Z' };
    expect(
      validateServerMessage({
        type: 'alarm_event',
        ...base,
        data: {
          event_id: 'e1',
          alarm_id: 'a1',
          alarm_name: 'Temperature Too High',
          severity: 'critical',
          state: 'active',
          equipment_id: 'scope_001',
          parameter: 'temperature',
          value: 85.2,
          threshold: 80,
          message: 'Alarm: Temperature Too High - temperature = 85.2',
          timestamp: '2025-11-13T10:30:00Z',
        },
      }),
    ).toEqual([]);
    expect(validateServerMessage({ type: 'alarm_cleared', ...base, data: {} })).not.toEqual([]);
    expect(
      validateServerMessage({
        type: 'job_failed',
        ...base,
        topic: 'scheduler',
        data: {
          job_id: 'j',
          execution_id: 'x',
          failed_at: '2025-11-13T10:35:00Z',
          error: 'Equipment not connected',
        },
      }),
    ).toEqual([]);
    expect(validateServerMessage({ type: 'job_failed', ...base, data: { job_id: 'j' } })).not.toEqual([]);
  });
});

describe('binary frames', () => {
  const samples = Array.from({ length: 1200 }, (_, i) => Math.sin(i / 10));
  const message = {
    type: 'stream_data',
    topic: 'stream:scope:waveform:1',
    seq: 9,
    timestamp: '2025-11-13T10:30:00.000Z',
    equipment_id: 'scope',
    stream_type: 'waveform',
    channel: 1,
    data: {
      equipment_id: 'scope',
      timestamp: '2025-11-13T10:30:00.000Z',
      channel: 1,
      sample_rate: 1e9,
      time_scale: 1e-6,
      voltage_scale: 0.5,
      voltage_offset: 0,
      num_samples: 1200,
      x_increment: 1e-9,
      x_origin: -6e-7,
      samples,
    },
  };

  it('puts a JSON header first and aligned float32 samples after it', () => {
    const frame = encodeBinary(message) as Uint8Array;
    const view = new DataView(frame.buffer, frame.byteOffset);
    const headerLength = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerLength)));
    expect(header.binary).toEqual([{ path: ['samples'], count: 1200, dtype: 'float32' }]);
    const { samples: _, ...rest } = message.data;
    expect(header.data).toEqual(rest);
    // The header validates, payload included: the validator puts an array back where `binary` says one was.
    expect(validateServerMessage(header)).toEqual([]);
    expect(validateServerMessage({ ...header, binary: [] })).toEqual([
      'stream_data/data: must have required properties samples',
    ]);
    const start = (4 + headerLength + 3) & ~3;
    expect(frame.length).toBe(start + 4 * 1200);
    expect(new Float32Array(frame.buffer, start, 3)[1]).toBeCloseTo(Math.sin(0.1), 6);
    expect(frame.length).toBeLessThan(encode(message).length / 2);
  });

  it('round-trips, nested arrays and nulls included', () => {
    const acq = {
      type: 'acquisition_stream',
      data: {
        count: 20,
        timestamps: ['t'],
        values: { '1': Array(20).fill(0.5), '2': [null, ...Array(19).fill(1)] },
      },
    };
    const decoded = decodeBinary(encodeBinary(acq) as Uint8Array);
    expect(decoded.header.binary.map((b) => b.path)).toEqual([
      ['values', '1'],
      ['values', '2'],
    ]);
    expect(Number.isNaN(decoded.arrays[1]?.[0])).toBe(true);
    expect(toJsonForm(decoded)).toEqual(acq);
  });

  it('is not used when there is no sample array', () => {
    expect(encodeBinary({ type: 'stream_data', data: { voltage: 5, few: [1, 2, 3] } })).toBeNull();
    expect(encodeBinary({ type: 'stream_data', data: { a: Array(MIN_BINARY_ARRAY).fill('x') } })).toBeNull();
  });

  it('refuses a frame that does not follow the layout', () => {
    expect(() => decodeBinary(new Uint8Array([1, 2]))).toThrow();
    expect(() => decodeBinary(new Uint8Array([200, 0, 0, 0, 123]))).toThrow();
  });
});
