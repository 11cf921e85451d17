// The reading fields an alarm may watch on each kind of instrument, derived from the reading schemas of
// @lablink/protocol (what the drivers' readings return): every number of a power supply's, an electronic load's or
// a multimeter's `readings` and of a scope's `measurements`, booleans as 1/0, plus a supply's `power` (V × A).
// `voltage` and `current` name a supply's measured values. Also: which field holds a value's own setpoint
// (deviation alarms), and how a value is read out of a reading.

import { findDriver } from '@lablink/instruments';
import {
  ElectronicLoadReadings,
  type EquipmentType,
  MultimeterReadings,
  PowerSupplyReadings,
  ScopeMeasurements,
  SmuReadings,
  type StreamType,
} from '@lablink/protocol';
import type { EquipmentView } from '../equipment/types.js';

export interface ParameterInfo {
  name: string;
  unit: string;
  description: string;
  /** The field holding this value's setpoint, for deviation alarms (load: by mode, see setpointOf). */
  setpoint: string | null;
}

/** Fields of a reading that are no quantity (identity, time, channel, ranges). */
const NOT_QUANTITIES = new Set(['equipment_id', 'timestamp', 'channel', 'range', 'mode', 'function', 'unit']);

const DESCRIBED: Record<string, { unit: string; description: string; setpoint?: string }> = {
  voltage_set: { unit: 'V', description: 'Voltage setpoint' },
  current_set: { unit: 'A', description: 'Current limit setpoint' },
  voltage_actual: { unit: 'V', description: 'Measured output voltage', setpoint: 'voltage_set' },
  current_actual: { unit: 'A', description: 'Measured output current', setpoint: 'current_set' },
  output_enabled: { unit: '', description: 'Output on (1) or off (0)' },
  in_cv_mode: { unit: '', description: 'In constant-voltage regulation (1) or not (0)' },
  in_cc_mode: {
    unit: '',
    description: 'In constant-current regulation, at its current limit (1) or not (0)',
  },
  setpoint: {
    unit: 'A, V, Ω or W',
    description: 'Setpoint of the present mode (CC: A, CV: V, CR: Ω, CP: W)',
  },
  voltage: { unit: 'V', description: 'Measured voltage' },
  current: { unit: 'A', description: 'Measured current' },
  power: { unit: 'W', description: 'Measured power' },
  load_enabled: { unit: '', description: 'Input on (1) or off (0)' },
  voltage_compliance: { unit: 'V', description: 'Voltage compliance of the current source' },
  current_compliance: { unit: 'A', description: 'Current compliance of the voltage source' },
  resistance: { unit: 'Ω', description: 'Measured resistance (V/I)' },
  in_compliance: { unit: '', description: 'Output held at its compliance (1) or not (0)' },
  value: { unit: 'V, A or Ω', description: 'The reading of the present function' },
  vpp: { unit: 'V', description: 'Peak-to-peak voltage' },
  vmax: { unit: 'V', description: 'Maximum voltage' },
  vmin: { unit: 'V', description: 'Minimum voltage' },
  vavg: { unit: 'V', description: 'Average voltage' },
  vrms: { unit: 'V', description: 'RMS voltage' },
  freq: { unit: 'Hz', description: 'Frequency' },
  period: { unit: 's', description: 'Period' },
};

interface Catalogue {
  kind: StreamType;
  parameters: ParameterInfo[];
  /** Other names accepted for a field: `voltage` → `voltage_actual`. */
  aliases: Record<string, string>;
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  type?: string;
};

/** The numeric and boolean fields of a reading schema, in order. */
function quantities(schema: unknown): string[] {
  const s = schema as JsonSchema;
  const properties = {
    ...(s.properties ?? {}),
    ...Object.assign({}, ...(s.allOf ?? []).map((p) => p.properties)),
  };
  const isQuantity = (p: JsonSchema): boolean =>
    p.type === 'number' || p.type === 'integer' || p.type === 'boolean' || (p.anyOf ?? []).some(isQuantity);
  return Object.entries(properties as Record<string, JsonSchema>)
    .filter(([name, p]) => !NOT_QUANTITIES.has(name) && isQuantity(p))
    .map(([name]) => name);
}

function catalogue(kind: StreamType, schema: unknown, extra: string[] = [], aliases = {}): Catalogue {
  const parameters = [...quantities(schema), ...extra].map((name) => ({
    name,
    unit: DESCRIBED[name]?.unit ?? '',
    description: DESCRIBED[name]?.description ?? name,
    setpoint: DESCRIBED[name]?.setpoint ?? null,
  }));
  return { kind, parameters, aliases };
}

const CATALOGUES: Record<EquipmentType, Catalogue | null> = {
  power_supply: catalogue('readings', PowerSupplyReadings, ['power'], {
    voltage: 'voltage_actual',
    current: 'current_actual',
  }),
  electronic_load: {
    ...catalogue('readings', ElectronicLoadReadings),
    // The load's setpoint is that of its mode: a deviation alarm on the mode's quantity uses it.
    parameters: catalogue('readings', ElectronicLoadReadings).parameters.map((p) =>
      ['voltage', 'current', 'power'].includes(p.name) ? { ...p, setpoint: 'setpoint' } : p,
    ),
  },
  multimeter: catalogue('readings', MultimeterReadings),
  smu: catalogue('readings', SmuReadings),
  oscilloscope: catalogue('measurements', ScopeMeasurements),
  generic: null,
};

/** What an alarm on this instrument may watch, the reading kind that carries it, and its channels. */
export function parametersOf(view: Pick<EquipmentView, 'info' | 'model'>): {
  kind: StreamType | null;
  channels: number;
  parameters: ParameterInfo[];
  aliases: Record<string, string>;
} {
  const c = CATALOGUES[view.info.type] ?? null;
  const channels = view.model?.channels ?? findDriver(view.info.model)?.info.channels ?? 0;
  return { kind: c?.kind ?? null, channels, parameters: c?.parameters ?? [], aliases: c?.aliases ?? {} };
}

/** The field a parameter names (an alias resolved), or undefined when the instrument has no such field. */
export function resolveParameter(
  view: Pick<EquipmentView, 'info' | 'model'>,
  parameter: string,
): string | undefined {
  const { parameters, aliases } = parametersOf(view);
  const name = aliases[parameter] ?? parameter;
  return parameters.some((p) => p.name === name) ? name : undefined;
}

const MODE_QUANTITY: Record<string, string> = { CC: 'current', CV: 'voltage', CP: 'power' };

/** A field's value in a reading (booleans as 1/0; a supply's power as V × A); null when absent or not a number. */
export function fieldValue(reading: Record<string, unknown>, field: string): number | null {
  if (field === 'power' && reading.power === undefined && 'voltage_actual' in reading) {
    const v = reading.voltage_actual;
    const i = reading.current_actual;
    return typeof v === 'number' && typeof i === 'number' ? v * i : null;
  }
  const value = reading[field];
  if (typeof value === 'boolean') return value ? 1 : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The instrument's own setpoint for a field in this reading (voltage_set for voltage_actual; a load's by mode). */
export function setpointOf(
  reading: Record<string, unknown>,
  field: string,
  setpointField: string | null,
): number | null {
  if (!setpointField) return null;
  if (setpointField === 'setpoint') {
    const mode = typeof reading.mode === 'string' ? reading.mode : '';
    if (MODE_QUANTITY[mode] !== field) return null;
  }
  return fieldValue(reading, setpointField);
}
