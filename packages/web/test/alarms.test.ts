// The Alarms panel's pure logic: the active list as the server's events change it, the badge's count, severity
// order, shelving times, the definition form and the server's refusals by field, history filters, the
// alarm-load chart's data, and the remembered alert settings.

import type { AlarmConfig, AlarmEvent } from '@lablink/client';
import { describe, expect, it } from 'vitest';
import {
  alertsFor,
  DEFAULT_SETTINGS,
  loadSettings,
  SETTINGS_KEY,
  saveSettings,
} from '../src/panels/alarms/alerts';
import {
  applyAlarmMessage,
  channelList,
  conditionText,
  definitionFromForm,
  durationText,
  emptyForm,
  formFieldOf,
  formFromAlarm,
  historyQuery,
  loadSeries,
  pageText,
  parseDuration,
  sortActive,
  unacknowledgedCount,
} from '../src/panels/alarms/model';

function event(overrides: Partial<AlarmEvent> = {}): AlarmEvent {
  return {
    event_id: 'aev_000000000001',
    alarm_id: 'alarm_00000001',
    alarm_name: 'PSU overvoltage',
    alarm_type: 'threshold',
    severity: 'warning',
    state: 'active',
    equipment_id: 'ps_1',
    channel: 1,
    parameter: 'voltage_actual',
    value: 12.1,
    threshold: 12,
    message: 'PSU overvoltage: voltage_actual = 12.1 (greater_than 12)',
    in_alarm: true,
    triggered_at: '2026-01-01T10:00:00.000Z',
    returned_at: null,
    acknowledged_at: null,
    acknowledged_by: null,
    acknowledgment_note: null,
    shelved_until: null,
    shelved_by: null,
    cleared_at: null,
    cleared_by: null,
    ...overrides,
  };
}

const alarmEventPayload = {
  event_id: 'aev_000000000002',
  alarm_id: 'alarm_00000002',
  alarm_name: 'Load too hot',
  severity: 'critical',
  state: 'active',
  equipment_id: 'el_1',
  parameter: 'power',
  value: 101,
  threshold: 100,
  message: 'Load too hot: power = 101 (greater_than 100)',
  timestamp: '2026-01-01T10:05:00.000Z',
};

describe('the active list follows the server events', () => {
  it('adds a raised alarm, updates it when acknowledged and removes it when cleared', () => {
    let list = applyAlarmMessage([event()], 'alarm_event', alarmEventPayload).events;
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({
      event_id: 'aev_000000000002',
      severity: 'critical',
      state: 'active',
      value: 101,
      triggered_at: '2026-01-01T10:05:00.000Z',
    });
    expect(unacknowledgedCount(list)).toBe(2);

    const updated = applyAlarmMessage(list, 'alarm_updated', {
      event_id: 'aev_000000000002',
      alarm_id: 'alarm_00000002',
      state: 'acknowledged',
      severity: 'critical',
      acknowledged_at: '2026-01-01T10:06:00.000Z',
      acknowledged_by: 'ada',
      note: 'fan replaced',
      shelved_until: null,
      value: 99,
      timestamp: '2026-01-01T10:06:00.000Z',
    });
    expect(updated.unknown).toBe(false);
    list = updated.events;
    expect(list[1]).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: 'ada',
      acknowledgment_note: 'fan replaced',
      value: 99,
    });
    expect(unacknowledgedCount(list)).toBe(1);

    list = applyAlarmMessage(list, 'alarm_cleared', { event_id: 'aev_000000000002' }).events;
    expect(list.map((e) => e.event_id)).toEqual(['aev_000000000001']);
  });

  it('replaces rather than duplicates an event it already holds (a replay after a reconnect)', () => {
    const once = applyAlarmMessage([], 'alarm_event', alarmEventPayload).events;
    const twice = applyAlarmMessage(once, 'alarm_event', alarmEventPayload).events;
    expect(twice).toHaveLength(1);
  });

  it('asks for a re-read when an update names an event it never saw', () => {
    const result = applyAlarmMessage([event()], 'alarm_updated', { event_id: 'aev_999', state: 'shelved' });
    expect(result.unknown).toBe(true);
    expect(result.events).toEqual([event()]);
  });

  it('drops an event whose update says cleared', () => {
    expect(
      applyAlarmMessage([event()], 'alarm_updated', { event_id: event().event_id, state: 'cleared' }).events,
    ).toEqual([]);
  });

  it('counts active and returned-unacknowledged alarms, not acknowledged, shelved or suppressed ones', () => {
    const states = ['active', 'returned', 'acknowledged', 'shelved', 'suppressed'] as const;
    expect(unacknowledgedCount(states.map((state) => ({ state })))).toBe(2);
  });

  it('sorts by severity, unacknowledged first, then newest first', () => {
    const sorted = sortActive([
      event({ event_id: 'a', severity: 'info' }),
      event({ event_id: 'b', severity: 'critical', state: 'acknowledged' }),
      event({ event_id: 'c', severity: 'critical', triggered_at: '2026-01-01T09:00:00.000Z' }),
      event({ event_id: 'd', severity: 'critical' }),
      event({ event_id: 'e', severity: 'error' }),
    ]);
    expect(sorted.map((e) => e.event_id)).toEqual(['d', 'c', 'b', 'e', 'a']);
  });
});

describe('shelving times', () => {
  it.each([
    ['15', 900],
    ['90 min', 5400],
    ['2h', 7200],
    ['1h 30min', 5400],
    ['45s', 45],
    ['1 day', 86_400],
    ['0.5 h', 1800],
  ])('%s is %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'soon', '0', '25h', '2 weeks', '1h later'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it('says a time in words', () => {
    expect(durationText(900)).toBe('15 min');
    expect(durationText(5400)).toBe('1 h 30 min');
    expect(durationText(28_800)).toBe('8 h');
  });
});

describe('the definition form', () => {
  const filled = {
    ...emptyForm(),
    name: 'PSU overvoltage',
    equipment_id: 'ps_1',
    parameter: 'voltage_actual',
    threshold: '12',
    deadband: '100m',
    severity: 'critical' as const,
  };

  it('becomes a create request with the defaults left to the server', () => {
    const { definition, errors } = definitionFromForm(filled, false);
    expect(errors).toEqual({});
    expect(definition).toEqual({
      name: 'PSU overvoltage',
      parameter: 'voltage_actual',
      description: null,
      equipment_id: 'ps_1',
      channel: null,
      alarm_type: 'threshold',
      condition: 'greater_than',
      severity: 'critical',
      threshold: 12,
      threshold_low: null,
      threshold_high: null,
      reference: null,
      count: null,
      count_window_seconds: null,
      auto_clear: true,
      enabled: true,
      notifications: ['websocket'],
      tags: [],
      deadband: 0.1,
    });
  });

  it('resets emptied numbers to their defaults when editing', () => {
    const { definition } = definitionFromForm({ ...filled, deadband: '' }, true);
    expect(definition).toMatchObject({ deadband: 0, delay_seconds: 0, interval_ms: 500 });
    expect(definition).not.toHaveProperty('window_seconds');
  });

  it('uses the range bounds for a range condition and the window for a rate', () => {
    const range = definitionFromForm(
      { ...filled, condition: 'out_of_range', threshold_low: '1', threshold_high: '5', channel: '2' },
      false,
    ).definition;
    expect(range).toMatchObject({ threshold: null, threshold_low: 1, threshold_high: 5, channel: 2 });
    const rate = definitionFromForm(
      { ...filled, alarm_type: 'rate_of_change', window_seconds: '2' },
      false,
    ).definition;
    expect(rate).toMatchObject({ window_seconds: 2, threshold: 12 });
  });

  it('names the fields it cannot send', () => {
    const { errors } = definitionFromForm(
      { ...emptyForm(), threshold: 'abc', count: '3', delay_seconds: '1x' },
      false,
    );
    expect(errors).toEqual({
      name: 'Required',
      equipment_id: 'Choose an instrument',
      threshold: 'Not a number: abc',
      delay_seconds: 'Not a number: 1x',
      count_window_seconds: 'Required with a count',
    });
    expect(definitionFromForm({ ...filled, parameter: '' }, false).errors).toEqual({
      parameter: 'Choose a reading',
    });
  });

  it('sends an alarm of no instrument with no reading or threshold', () => {
    const { definition, errors } = definitionFromForm(
      { ...emptyForm(), name: 'Night run', alarm_type: 'custom' },
      false,
    );
    expect(errors).toEqual({});
    expect(definition).toMatchObject({
      equipment_id: null,
      parameter: 'value',
      threshold: null,
      alarm_type: 'custom',
    });
  });

  it('round-trips a stored definition', () => {
    const stored: AlarmConfig = {
      alarm_id: 'alarm_00000001',
      name: 'Window',
      description: 'keep it in range',
      equipment_id: 'ps_1',
      channel: 2,
      parameter: 'voltage_actual',
      alarm_type: 'threshold',
      condition: 'in_range',
      severity: 'error',
      threshold: null,
      threshold_high: 5,
      threshold_low: 1,
      reference: null,
      window_seconds: 1,
      deadband: 0.05,
      delay_seconds: 2,
      count: 3,
      count_window_seconds: 60,
      auto_clear: false,
      enabled: false,
      notifications: ['websocket', 'email'],
      interval_ms: 500,
      tags: ['bench', 'night'],
      builtin: false,
      created_at: '2026-01-01T00:00:00.000Z',
      created_by: null,
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    const form = formFromAlarm(stored);
    expect(form).toMatchObject({
      latching: true,
      channel: '2',
      tags: 'bench, night',
      interval_ms: '',
      window_seconds: '',
    });
    expect(definitionFromForm(form, true).definition).toMatchObject({
      description: 'keep it in range',
      channel: 2,
      threshold_low: 1,
      threshold_high: 5,
      deadband: 0.05,
      delay_seconds: 2,
      count: 3,
      count_window_seconds: 60,
      auto_clear: false,
      enabled: false,
      notifications: ['websocket', 'email'],
      tags: ['bench', 'night'],
    });
    expect(conditionText(stored)).toBe('CH2 voltage_actual inside 1 … 5');
  });

  it('puts a server refusal next to the field it names', () => {
    expect(formFieldOf('threshold')).toBe('threshold');
    expect(formFieldOf('body.threshold_high')).toBe('threshold_high');
    expect(formFieldOf('/parameter')).toBe('parameter');
    expect(formFieldOf('notifications/1')).toBe('notifications');
    expect(formFieldOf('auto_clear')).toBe('latching');
    expect(formFieldOf('session_id')).toBe('');
    expect(formFieldOf(undefined)).toBe('');
  });

  it('offers channels only for instruments with several', () => {
    expect(channelList(3)).toEqual([1, 2, 3]);
    expect(channelList(1)).toEqual([]);
    expect(channelList(undefined)).toEqual([]);
  });
});

describe('history and load', () => {
  it('leaves empty filters out and sends times in UTC', () => {
    expect(historyQuery({ state: '', severity: '', equipment_id: '', since: '', until: '' })).toEqual({});
    const query = historyQuery({
      state: 'cleared',
      severity: 'critical',
      equipment_id: 'ps_1',
      since: '2026-01-01T08:00',
      until: 'nonsense',
    });
    expect(query).toEqual({
      state: 'cleared',
      severity: 'critical',
      equipment_id: 'ps_1',
      since: new Date('2026-01-01T08:00').toISOString(),
    });
    expect(pageText(50, 50, 230)).toBe('51–100 of 230');
    expect(pageText(0, 0, 0)).toBe('0 of 0');
  });

  it('turns the 10-minute bins into chart data in time order', () => {
    expect(
      loadSeries([
        { start: '2026-01-01T10:10:00.000Z', count: 4 },
        { start: '2026-01-01T10:00:00.000Z', count: 12 },
      ]),
    ).toEqual([
      [Date.parse('2026-01-01T10:00:00Z') / 1000, Date.parse('2026-01-01T10:10:00Z') / 1000],
      [12, 4],
    ]);
  });
});

describe('alert settings', () => {
  const memory = () => {
    const data = new Map<string, string>();
    return {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      data,
    };
  };

  it('are remembered, and default to on', () => {
    const storage = memory();
    expect(loadSettings(storage)).toEqual(DEFAULT_SETTINGS);
    saveSettings(storage, { desktop: false, sound: true });
    expect(JSON.parse(storage.data.get(SETTINGS_KEY) as string)).toEqual({ desktop: false, sound: true });
    expect(loadSettings(storage)).toEqual({ desktop: false, sound: true });
    storage.setItem(SETTINGS_KEY, '{not json');
    expect(loadSettings(storage)).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings(undefined)).toEqual(DEFAULT_SETTINGS);
  });

  it('beep only for critical alarms and notify only with permission', () => {
    const on = { desktop: true, sound: true };
    expect(alertsFor('critical', on, 'granted')).toEqual({ desktop: true, sound: true });
    expect(alertsFor('warning', on, 'granted')).toEqual({ desktop: true, sound: false });
    expect(alertsFor('critical', on, 'denied')).toEqual({ desktop: false, sound: true });
    expect(alertsFor('critical', { desktop: false, sound: false }, 'granted')).toEqual({
      desktop: false,
      sound: false,
    });
  });
});
