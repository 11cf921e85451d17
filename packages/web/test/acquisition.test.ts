// The Acquisition panel's pure logic: the session form and the request it becomes, the server's refusals by
// field, the actions of each state, the live buffer fed by acquisition_stream blocks (in seq order, never twice,
// bounded), the footer's quality figures, stored data and the FFT as chart columns, export progress.

import type { AcquisitionData } from '@lablink/client';
import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  bufferUse,
  channelColor,
  channelName,
  columnsFromData,
  emptyForm,
  exportFraction,
  fftColumns,
  formFieldOf,
  LiveBuffer,
  QualityTracker,
  requestFromForm,
  type SessionForm,
  splitChannels,
  statRows,
  statsBody,
  toRequestSource,
  totalSamples,
  triggerFields,
} from '../src/panels/acquisition/model';

const psuV = { equipment_id: 'ps_1', field: 'voltage_actual', channel: 1 };
const dmm = { equipment_id: 'dmm_1', field: 'value' };
const scope = { equipment_id: 'osc_1', field: 'waveform', channel: 2 };

function form(overrides: Partial<SessionForm> = {}): SessionForm {
  return { ...emptyForm(), sources: [psuV], ...overrides };
}

const t0 = Date.parse('2026-01-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function block(seq: number, startMs: number, values: Record<string, number[]>, stats = {}) {
  const count = Object.values(values)[0]?.length ?? 0;
  return {
    acquisition_id: 'acq_1',
    seq,
    timestamp: iso(startMs + (count - 1) * 10),
    state: 'acquiring',
    stats,
    data: { count, values, timestamps: Array.from({ length: count }, (_, i) => iso(startMs + i * 10)) },
  };
}

describe('channels', () => {
  it('names a source as the server does and turns it into a request source', () => {
    expect(channelName(psuV)).toBe('ps_1.voltage_actual.1');
    expect(channelName(dmm)).toBe('dmm_1.value');
    expect(toRequestSource(psuV)).toEqual({ equipment_id: 'ps_1', field: 'voltage_actual', channel: 1 });
    expect(toRequestSource(dmm)).toEqual({ equipment_id: 'dmm_1', field: 'value' });
    expect(toRequestSource(scope)).toEqual({ equipment_id: 'osc_1', kind: 'waveform', channel: 2 });
  });

  it('tells sampled channels from waveform captures', () => {
    expect(splitChannels(['ps_1.voltage_actual.1', 'osc_1.waveform.2', 'dmm_1.value'])).toEqual({
      sampled: ['ps_1.voltage_actual.1', 'dmm_1.value'],
      waveforms: ['osc_1.waveform.2'],
    });
  });

  it('gives each channel its own colour', () => {
    const colours = new Set(Array.from({ length: 8 }, (_, i) => channelColor(i)));
    expect(colours.size).toBe(8);
    expect(channelColor(8)).toBe(channelColor(0));
  });
});

describe('the session form', () => {
  it('makes a continuous request from picked sources', () => {
    const { request, errors } = requestFromForm(
      form({ name: ' Run 1 ', sample_rate: '50', sources: [psuV, dmm] }),
    );
    expect(errors).toEqual({});
    expect(request).toEqual({
      name: 'Run 1',
      mode: 'continuous',
      sample_rate: 50,
      sources: [
        { equipment_id: 'ps_1', field: 'voltage_actual', channel: 1 },
        { equipment_id: 'dmm_1', field: 'value' },
      ],
    });
  });

  it('sends a duration or a number of samples, as chosen, with SI prefixes', () => {
    expect(
      requestFromForm(form({ sample_rate: '1k', limit: 'duration', duration_seconds: '10' })).request,
    ).toMatchObject({
      sample_rate: 1000,
      duration_seconds: 10,
    });
    const samples = requestFromForm(
      form({ mode: 'single_shot', limit: 'samples', num_samples: '500' }),
    ).request;
    expect(samples.num_samples).toBe(500);
    expect(samples.duration_seconds).toBeUndefined();
  });

  it('refuses what cannot be sent, by field', () => {
    const { errors } = requestFromForm(
      form({
        sources: [],
        sample_rate: '0',
        limit: 'samples',
        num_samples: '2.5',
        buffer_size: '-1',
      }),
    );
    expect(Object.keys(errors).sort()).toEqual(['buffer_size', 'num_samples', 'sample_rate', 'sources']);
    expect(
      requestFromForm(form({ limit: 'duration', duration_seconds: '-3' })).errors.duration_seconds,
    ).toBeTruthy();
    expect(requestFromForm(form({ mode: 'single_shot' })).errors.limit).toMatch(/single shot/);
  });

  it('shows and sends only the trigger settings the trigger uses', () => {
    expect(triggerFields({ mode: 'continuous', trigger_type: 'edge' }).level).toBe(false);
    expect(triggerFields({ mode: 'triggered', trigger_type: 'edge' })).toEqual({
      type: true,
      level: true,
      edge: true,
      channel: true,
      preTrigger: true,
      startTime: false,
    });
    expect(triggerFields({ mode: 'triggered', trigger_type: 'external' }).level).toBe(false);
    const { request, errors } = requestFromForm(
      form({
        mode: 'triggered',
        trigger_type: 'edge',
        level: '2.5',
        edge: 'falling',
        trigger_channel: 'ps_1.voltage_actual.1',
        pre_trigger_samples: '20',
      }),
    );
    expect(errors).toEqual({});
    expect(request.trigger_config).toEqual({
      trigger_type: 'edge',
      level: 2.5,
      edge: 'falling',
      channel: 'ps_1.voltage_actual.1',
      pre_trigger_samples: 20,
    });
    expect(requestFromForm(form({ mode: 'continuous', level: '3' })).request.trigger_config).toBeUndefined();
  });

  it('needs a level for a level trigger and a time for a timed one', () => {
    expect(requestFromForm(form({ mode: 'triggered', trigger_type: 'level' })).errors.level).toBeTruthy();
    expect(requestFromForm(form({ mode: 'triggered', trigger_type: 'time' })).errors.start_time).toBeTruthy();
    const timed = requestFromForm(
      form({ mode: 'triggered', trigger_type: 'time', start_time: '2026-01-01T10:00:00Z' }),
    );
    expect(timed.request.trigger_config?.start_time).toBe('2026-01-01T10:00:00.000Z');
    expect(
      requestFromForm(form({ mode: 'triggered', trigger_type: 'external', pre_trigger_samples: '-1' })).errors
        .pre_trigger_samples,
    ).toBeTruthy();
  });

  it.each([
    ['sample_rate', 'sample_rate'],
    ['/sample_rate', 'sample_rate'],
    ['trigger_config.level', 'level'],
    ['/trigger_config/level', 'level'],
    ['trigger_config', 'trigger_type'],
    ['trigger_config.channel', 'trigger_channel'],
    ['trigger_config.pre_trigger_samples', 'pre_trigger_samples'],
    ['sources[1].field', 'sources'],
    ['sources/0/equipment_id', 'sources'],
    ['channels', 'sources'],
    ['duration_seconds', 'duration_seconds'],
    ['num_samples', 'num_samples'],
    ['something_else', ''],
    [undefined, ''],
  ])('the server field %s is shown at %j', (field, key) => {
    expect(formFieldOf(field)).toBe(key);
  });
});

describe('actions by state', () => {
  it('offers what the state allows', () => {
    expect(actionsFor('idle')).toEqual(['start']);
    expect(actionsFor('acquiring')).toEqual(['pause', 'stop']);
    expect(actionsFor('paused')).toEqual(['resume', 'stop']);
    expect(actionsFor('waiting_trigger', 'external')).toEqual(['trigger', 'stop']);
    expect(actionsFor('waiting_trigger', 'level')).toEqual(['stop']);
    expect(actionsFor('stopped')).toEqual([]);
  });
});

describe('LiveBuffer', () => {
  const channels = ['a', 'b'];

  it('appends blocks in seq order, drops replays, keeps nulls for missing values', () => {
    const live = new LiveBuffer(channels);
    expect(live.push(block(1, t0, { a: [1, 2], b: [10, 20] }))).toBe(2);
    expect(live.push(block(1, t0, { a: [1, 2], b: [10, 20] }))).toBe(0);
    expect(live.push(block(2, t0 + 20, { a: [3], b: [Number.NaN] }))).toBe(1);
    const [times, a, b] = live.data();
    expect(times).toEqual([t0 / 1000, (t0 + 10) / 1000, (t0 + 20) / 1000]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([10, 20, null]);
    expect(live.received).toBe(3);
  });

  it('never draws backwards and keeps at most maxPoints', () => {
    const live = new LiveBuffer(['a'], 3);
    live.push(block(1, t0, { a: [1, 2, 3] }));
    live.push(block(2, t0 + 20, { a: [9, 4] })); // overlaps: the sample at t0+20 is dropped
    live.push(block(3, t0 + 40, { a: [5] }));
    const [times, a] = live.data();
    expect(a).toEqual([3, 4, 5]);
    expect(times).toEqual([(t0 + 20) / 1000, (t0 + 30) / 1000, (t0 + 40) / 1000]);
  });

  it('spaces samples by the rate when a block has no timestamps, and ignores empty blocks', () => {
    const live = new LiveBuffer(['a'], 100, 100);
    live.push({ seq: 1, timestamp: iso(t0), data: { count: 3, values: { a: [1, 2, 3] } } });
    live.push({ seq: 2, timestamp: iso(t0 + 50), data: null });
    expect(live.data()[0]).toEqual([(t0 - 20) / 1000, (t0 - 10) / 1000, t0 / 1000]);
  });

  it('starts from stored data and continues with live blocks', () => {
    const live = new LiveBuffer(['a']);
    live.load(stored());
    live.push(block(5, t0 + 10, { a: [7, 8] }));
    expect(live.data()[1]).toEqual([1, 2, 8]);
  });
});

function stored(): AcquisitionData {
  return {
    acquisition_id: 'acq_1',
    channels: ['a', 'b'],
    data: { timestamps: [iso(t0), iso(t0 + 10)], values: { a: [1, 2], b: [null, 5] } },
    count: 2,
    start_index: 0,
    total_samples: 2,
  };
}

describe('stored data and statistics', () => {
  it('turns stored samples into chart columns', () => {
    expect(columnsFromData(stored())).toEqual([
      [t0 / 1000, (t0 + 10) / 1000],
      [1, 2],
      [null, 5],
    ]);
    expect(columnsFromData(stored(), ['b'])).toEqual([
      [t0 / 1000, (t0 + 10) / 1000],
      [null, 5],
    ]);
  });

  it('draws the FFT when the result has a spectrum', () => {
    expect(fftColumns({ frequencies: [0, 1, 2], magnitudes: [5, null] })).toEqual([
      [0, 1],
      [5, null],
    ]);
    expect(fftColumns({ dominant_frequency: 5 })).toBeNull();
    expect(fftColumns(null)).toBeNull();
  });

  it('takes the figures out of their 1.x wrapping', () => {
    const head = { success: true, acquisition_id: 'acq_1', channel: 'a' };
    expect(statsBody('rolling', { ...head, stats: { mean: 1 } })).toEqual({ mean: 1 });
    expect(statsBody('fft', { ...head, fft: { dominant_frequency: 50 } })).toEqual({
      dominant_frequency: 50,
    });
    expect(statsBody('peaks', { ...head })).toBeNull();
  });

  it('lists figures as rows', () => {
    expect(
      statRows({
        mean: 5.000012345,
        n: 10,
        ok: true,
        none: null,
        nested: { rms: 2 },
        spectrum: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      }),
    ).toEqual([
      ['mean', '5.00001'],
      ['n', '10'],
      ['ok', 'true'],
      ['none', '—'],
      ['nested.rms', '2'],
      ['spectrum', '9 values'],
    ]);
  });

  it('reads totals and buffer use from the stats, whichever way they are given', () => {
    expect(totalSamples({ total_samples: 42 })).toBe(42);
    expect(totalSamples({ samples_per_channel: { a: 3, b: 4 } })).toBe(4);
    expect(totalSamples({})).toBeNull();
    expect(bufferUse({ buffer_usage: 0.25 })).toBe(0.25);
    expect(bufferUse({ buffer_usage: 50 })).toBe(0.5);
    expect(bufferUse({ buffer_used: 10, buffer_size: 40 })).toBe(0.25);
    expect(bufferUse({ buffer: { size: 1000, count: 250, utilization: 0.25 } })).toBe(0.25);
    expect(bufferUse({ buffer: { size: 1000, count: 500 } })).toBe(0.5);
    expect(bufferUse({})).toBeNull();
  });

  it('says how far an export has gone', () => {
    expect(exportFraction({ state: 'done' })).toBe(1);
    expect(exportFraction({ state: 'running', progress: 0.4 })).toBe(0.4);
    expect(exportFraction({ state: 'running', progress: 40 })).toBe(0.4);
    expect(exportFraction({ state: 'running' })).toBeNull();
    expect(exportFraction(null)).toBeNull();
  });
});

describe('QualityTracker', () => {
  it('measures rate, latency from the server timestamps, samples, gaps and buffer use', () => {
    const q = new QualityTracker(2000);
    q.block(block(1, t0, { a: [1, 2, 3, 4, 5] }, { buffer_used: 5, buffer_size: 100 }), t0 + 1000 + 40);
    q.block(block(2, t0 + 50, { a: [6, 7, 8, 9, 10] }), t0 + 1500 + 90);
    q.block(block(2, t0 + 50, { a: [6, 7, 8, 9, 10] }), t0 + 1500 + 95); // duplicate: ignored
    q.block(block(5, t0 + 100, { a: [11] }), t0 + 2000);
    const f = q.figures(t0 + 2100);
    expect(f.samples).toBe(11);
    q.block(block(6, t0 + 200, { a: [12] }, { total_samples: 500 }), t0 + 2050);
    expect(q.figures(t0 + 2100).samples).toBe(500);
    expect(f.gaps).toBe(2);
    expect(f.bufferUse).toBe(0.05);
    expect(f.samplesPerSecond).toBeGreaterThan(0);
    expect(f.latencyMs).toBeGreaterThan(900);
  });

  it("counts no gap for a block merged at the client's pace (prev_seq)", () => {
    const q = new QualityTracker();
    q.block(block(1, t0, { a: [1] }), t0 + 10);
    q.block({ ...block(4, t0 + 10, { a: [2, 3, 4] }), prev_seq: 1 }, t0 + 100);
    expect(q.figures(t0 + 100).gaps).toBe(0);
    q.block({ ...block(9, t0 + 40, { a: [5] }), prev_seq: 6 }, t0 + 200);
    expect(q.figures(t0 + 200).gaps).toBe(2);
  });

  it('corrects latency by the clock offset and has none before data', () => {
    const q = new QualityTracker();
    expect(q.figures(t0).latencyMs).toBeNull();
    // The server clock is 500 ms ahead: a block stamped t0+540 received at our t0+50 is 10 ms old.
    q.block(block(1, t0 + 540, { a: [1] }), t0 + 50, 500);
    expect(q.figures(t0 + 50).latencyMs).toBe(10);
  });
});
