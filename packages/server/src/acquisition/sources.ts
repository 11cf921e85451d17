// What a session records, resolved from its settings: polled channels (a reading field of an instrument's reading
// kind and channel, claimed from the readings pipeline) and block sources (a scope's waveform captures).
// 1.x sessions name channels `CH1`, `CH2` … on their equipment_id; each maps to the field that instrument type
// measures on that channel (a supply's or load's measured voltage, a multimeter's reading, a scope's RMS voltage).
// Sources name `{equipment_id, field, channel?}` and get the channel name `<equipment_id>.<field>[.<channel>]`.

import type { StreamType } from '@lablink/protocol';
import type { AcquisitionSourceSpec } from '@lablink/protocol/rest';
import { parametersOf, resolveParameter } from '../alarms/parameters.js';
import type { EquipmentView } from '../equipment/types.js';
import { DomainError } from '../errors.js';

export interface PolledChannel {
  name: string;
  equipment_id: string;
  kind: StreamType;
  channel: number;
  field: string;
}

export interface BlockChannel {
  name: string;
  /** '' for a fed source. */
  equipment_id: string;
  channel: number;
  /** Fed in-process (AcquisitionService.feed) rather than claimed from an instrument's waveform captures. */
  fed?: true;
}

export interface ResolvedSources {
  polled: PolledChannel[];
  blocks: BlockChannel[];
}

type View = Pick<EquipmentView, 'info' | 'model' | 'stream_types'>;

/** The field a 1.x `CHn` reads, per instrument type. */
const LEGACY_FIELD: Record<string, string> = {
  power_supply: 'voltage_actual',
  electronic_load: 'voltage',
  multimeter: 'value',
  oscilloscope: 'vrms',
};

function known(find: (id: string) => View | null | undefined, id: string, field: string): View {
  const view = find(id);
  if (!view) throw new DomainError('unknown_equipment', `no equipment "${id}"`, field);
  return view;
}

function checkChannel(view: View, id: string, channel: number, field: string): void {
  const channels = parametersOf(view).channels;
  if (channels > 0 && channel > channels) {
    throw new DomainError(
      'invalid_field',
      `equipment "${id}" has channels 1–${channels}, not ${channel}`,
      field,
    );
  }
}

export function resolveSources(
  find: (id: string) => View | null | undefined,
  settings: { equipment_id?: string; channels?: string[]; sources?: AcquisitionSourceSpec[] },
): ResolvedSources {
  const polled: PolledChannel[] = [];
  const blocks: BlockChannel[] = [];
  if (settings.sources && settings.sources.length > 0) {
    settings.sources.forEach((spec, i) => {
      const at = `sources[${i}]`;
      const view = known(find, spec.equipment_id, `${at}.equipment_id`);
      const channel = spec.channel ?? 1;
      checkChannel(view, spec.equipment_id, channel, `${at}.channel`);
      if (spec.kind === 'waveform') {
        if (!view.stream_types.includes('waveform')) {
          throw new DomainError(
            'unsupported_stream',
            `equipment "${spec.equipment_id}" has no waveform captures`,
            `${at}.kind`,
          );
        }
        blocks.push({
          name: `${spec.equipment_id}.waveform.${channel}`,
          equipment_id: spec.equipment_id,
          channel,
        });
        return;
      }
      const { kind } = parametersOf(view);
      if (!kind) {
        throw new DomainError(
          'unsupported_stream',
          `equipment "${spec.equipment_id}" has no reading fields`,
          at,
        );
      }
      if (spec.kind && spec.kind !== kind) {
        throw new DomainError(
          'invalid_field',
          `equipment "${spec.equipment_id}" has fields in ${kind}`,
          `${at}.kind`,
        );
      }
      if (!spec.field)
        throw new DomainError('invalid_request', 'a polled source needs a field', `${at}.field`);
      const field = resolveParameter(view, spec.field);
      if (!field) {
        const names = parametersOf(view).parameters.map((p) => p.name);
        throw new DomainError(
          'invalid_field',
          `equipment "${spec.equipment_id}" has no field "${spec.field}" (it has: ${names.join(', ')})`,
          `${at}.field`,
        );
      }
      const name = `${spec.equipment_id}.${spec.field}${spec.channel !== undefined ? `.${channel}` : ''}`;
      polled.push({ name, equipment_id: spec.equipment_id, kind, channel, field });
    });
  } else {
    if (!settings.equipment_id) {
      throw new DomainError('invalid_request', 'give equipment_id with channels, or sources', 'equipment_id');
    }
    const id = settings.equipment_id;
    const view = known(find, id, 'equipment_id');
    const { kind } = parametersOf(view);
    const field = LEGACY_FIELD[view.info.type];
    if (!kind || !field) {
      throw new DomainError(
        'unsupported_stream',
        `equipment "${id}" has no channels to acquire`,
        'equipment_id',
      );
    }
    (settings.channels ?? ['CH1']).forEach((name, i) => {
      const m = /^CH(\d{1,2})$/i.exec(name);
      if (!m) {
        throw new DomainError(
          'invalid_field',
          `unknown channel "${name}" (channels are CH1, CH2 …)`,
          `channels[${i}]`,
        );
      }
      const channel = Number(m[1]);
      if (channel < 1) throw new DomainError('invalid_field', `unknown channel "${name}"`, `channels[${i}]`);
      checkChannel(view, id, channel, `channels[${i}]`);
      polled.push({ name: name.toUpperCase(), equipment_id: id, kind, channel, field });
    });
  }
  const names = [...polled, ...blocks].map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new DomainError('invalid_request', `channel "${dup}" is given twice`, 'sources');
  if (names.length === 0)
    throw new DomainError('invalid_request', 'a session needs at least one channel', 'channels');
  return { polled, blocks };
}
