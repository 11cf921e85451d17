// The steps of a test sequence: each a set, wait, measure, check, ramp or repeat (with steps inside), added,
// removed and moved up or down. Actions and their arguments come from what the step's instrument accepts
// (GET /api/equipment/{id}/commands) and readings from the fields it reports, never typed by hand where a list
// exists. A refusal names its step and field and shows there.

import type { AlarmParameters, CommandInfo, EquipmentInfo } from '@lablink/client';
import { useEffect, useId, useState } from 'react';
import { useClient } from '../../app/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormField } from '../../components/FormField';
import { instrumentName } from '../alarms/useEquipmentNames';
import {
  addStep,
  changeStep,
  type FieldErrors,
  measurementsBefore,
  moveStep,
  removeStep,
  STEP_TYPE_TEXT,
  STEP_TYPES,
  type StepForm,
  type StepPath,
  type StepRoot,
  type StepType,
  stepErrorKey,
  stepLabel,
} from './model';

interface Capabilities {
  commands: CommandInfo[] | null;
  readings: AlarmParameters | null;
}

const cache = new Map<string, Promise<Capabilities>>();

/** What an instrument accepts and reports, read once per page. */
function useCapabilities(equipmentId: string): Capabilities | null {
  const { rest } = useClient();
  const [caps, setCaps] = useState<Capabilities | null>(null);
  useEffect(() => {
    setCaps(null);
    if (!equipmentId) return;
    let promise = cache.get(equipmentId);
    if (!promise) {
      promise = Promise.all([
        rest
          .commands(equipmentId)
          .then((c) => c.commands)
          .catch(() => null),
        rest.alarmParameters(equipmentId).catch(() => null),
      ]).then(([commands, readings]) => ({ commands, readings }));
      // A failed read is tried again the next time a step asks.
      promise.then((c) => {
        if (!c.commands && !c.readings) cache.delete(equipmentId);
      });
      cache.set(equipmentId, promise);
    }
    let current = true;
    promise.then((c) => {
      if (current) setCaps(c);
    });
    return () => {
      current = false;
    };
  }, [rest, equipmentId]);
  return caps;
}

interface Shared {
  root: StepRoot;
  /** The whole list this editor edits (for the measurements a check may use). */
  all: StepForm[];
  update(change: (steps: StepForm[]) => StepForm[]): void;
  errors: FieldErrors;
  instruments: EquipmentInfo[];
  /** The job's instrument, the default of every step. */
  jobEquipment: string;
}

export function StepEditor({
  root,
  label,
  steps,
  onChange,
  errors,
  instruments,
  jobEquipment,
}: {
  root: StepRoot;
  label: string;
  steps: StepForm[];
  onChange(steps: StepForm[]): void;
  errors: FieldErrors;
  instruments: EquipmentInfo[];
  jobEquipment: string;
}) {
  const shared: Shared = {
    root,
    all: steps,
    update: (change) => onChange(change(steps)),
    errors,
    instruments,
    jobEquipment,
  };
  return (
    <section className="step-editor" aria-label={label}>
      <StepList shared={shared} steps={steps} parent={[]} />
      <ErrorAlert message={errors[root]} />
    </section>
  );
}

function StepList({ shared, steps, parent }: { shared: Shared; steps: StepForm[]; parent: StepPath }) {
  const [type, setType] = useState<StepType>('set');
  const id = useId();
  const where = parent.length > 0 ? ` in step ${stepLabel(parent)}` : '';
  const prefix = shared.root === 'cleanup' ? 'Clean-up step' : 'Step';
  return (
    <>
      {steps.length > 0 && (
        <ol className="step-list">
          {steps.map((step, i) => (
            <StepItem
              key={step.key}
              shared={shared}
              step={step}
              path={[...parent, i]}
              first={i === 0}
              last={i === steps.length - 1}
              prefix={prefix}
            />
          ))}
        </ol>
      )}
      <div className="add-step">
        <label htmlFor={id}>{`New ${prefix.toLowerCase()} type${where}`}</label>
        <select id={id} value={type} onChange={(e) => setType(e.target.value as StepType)}>
          {STEP_TYPES.map((t) => (
            <option key={t} value={t}>
              {STEP_TYPE_TEXT[t]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="secondary"
          onClick={() => shared.update((all) => addStep(all, parent, type))}
        >
          {`Add ${prefix.toLowerCase()}${where}`}
        </button>
      </div>
    </>
  );
}

function StepItem({
  shared,
  step,
  path,
  first,
  last,
  prefix,
}: {
  shared: Shared;
  step: StepForm;
  path: StepPath;
  first: boolean;
  last: boolean;
  prefix: string;
}) {
  const { root, errors, instruments, jobEquipment } = shared;
  const name = `${prefix} ${stepLabel(path)}`;
  const err = (field?: string) => errors[stepErrorKey(root, path, field)];
  const change = (changes: Partial<StepForm>) => shared.update((all) => changeStep(all, path, changes));
  const equipment = step.equipment_id || jobEquipment;
  const usesInstrument = step.type !== 'wait' && step.type !== 'repeat';
  const caps = useCapabilities(usesInstrument ? equipment : '');
  const commands = caps?.commands ?? null;
  const command = commands?.find((c) => c.name === step.action);
  const fields = caps?.readings?.parameters ?? null;
  const channels = caps?.readings?.channels ?? 1;

  const text = (
    label: string,
    field: keyof StepForm,
    options: { unit?: string; placeholder?: string } = {},
  ) => (
    <FormField label={label} error={err(field)}>
      {(id, invalid) => (
        <span className="setpoint-row">
          <input
            id={id}
            inputMode={field === 'name' || field === 'measure' || field === 'expect' ? undefined : 'decimal'}
            value={String(step[field])}
            placeholder={options.placeholder}
            aria-invalid={invalid}
            onChange={(e) => change({ [field]: e.target.value })}
          />
          {options.unit && <span className="unit">{options.unit}</span>}
        </span>
      )}
    </FormField>
  );

  const readingSelect = (label: string, optional: boolean) => (
    <FormField label={label} error={err('field')}>
      {(id, invalid) =>
        fields ? (
          <select
            id={id}
            value={step.field}
            aria-invalid={invalid}
            onChange={(e) => change({ field: e.target.value })}
          >
            <option value="">{optional ? '—' : 'Choose a reading…'}</option>
            {fields.map((f) => (
              <option key={f.name} value={f.name}>
                {f.name}
                {f.unit ? ` (${f.unit})` : ''}
              </option>
            ))}
            {step.field && !fields.some((f) => f.name === step.field) && (
              <option value={step.field}>{step.field}</option>
            )}
          </select>
        ) : (
          <input
            id={id}
            value={step.field}
            placeholder={equipment ? 'Loading…' : 'voltage_actual'}
            aria-invalid={invalid}
            onChange={(e) => change({ field: e.target.value })}
          />
        )
      }
    </FormField>
  );

  const channelField = () =>
    channels > 1 || step.channel ? (
      <FormField label="Channel" error={err('channel')}>
        {(id, invalid) => (
          <select
            id={id}
            value={step.channel}
            aria-invalid={invalid}
            onChange={(e) => change({ channel: e.target.value })}
          >
            <option value="">Default</option>
            {Array.from({ length: Math.max(channels, Number(step.channel) || 0) }, (_, i) =>
              String(i + 1),
            ).map((c) => (
              <option key={c} value={c}>
                CH{c}
              </option>
            ))}
          </select>
        )}
      </FormField>
    ) : null;

  const actionSelect = () => (
    <FormField label="Action" error={err('action')}>
      {(id, invalid) =>
        commands ? (
          <select
            id={id}
            value={step.action}
            aria-invalid={invalid}
            onChange={(e) => change({ action: e.target.value, args: {}, param: '' })}
          >
            <option value="">Choose an action…</option>
            {commands
              .filter((c) => step.type !== 'ramp' || Object.values(c.params).some((p) => p.type === 'number'))
              .map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                  {c.description ? ` — ${c.description}` : ''}
                </option>
              ))}
            {step.action && !commands.some((c) => c.name === step.action) && (
              <option value={step.action}>{step.action}</option>
            )}
          </select>
        ) : (
          <input
            id={id}
            value={step.action}
            placeholder={equipment ? 'Loading…' : 'set_voltage'}
            aria-invalid={invalid}
            onChange={(e) => change({ action: e.target.value })}
          />
        )
      }
    </FormField>
  );

  /** One input per argument of the action (the ramped one and, for a ramp, the channel excepted). */
  const argFields = (skip: string[]) => {
    const specs = command
      ? Object.entries(command.params)
      : Object.keys(step.args).map((k) => [k, null] as const);
    return specs
      .filter(([arg]) => !skip.includes(arg))
      .map(([arg, spec]) => (
        <FormField key={arg} label={arg} error={err(`args.${arg}`)}>
          {(id, invalid) =>
            spec?.type === 'boolean' || spec?.type === 'enum' ? (
              <select
                id={id}
                value={step.args[arg] ?? ''}
                aria-invalid={invalid}
                onChange={(e) => change({ args: { ...step.args, [arg]: e.target.value } })}
              >
                <option value="">{spec.optional ? '—' : 'Choose…'}</option>
                {(spec.type === 'boolean' ? ['true', 'false'] : spec.values).map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            ) : (
              <span className="setpoint-row">
                <input
                  id={id}
                  value={step.args[arg] ?? ''}
                  inputMode={spec?.type === 'number' || spec?.type === 'integer' ? 'decimal' : undefined}
                  placeholder={
                    spec && 'default' in spec && spec.default !== undefined ? String(spec.default) : ''
                  }
                  aria-invalid={invalid}
                  onChange={(e) => change({ args: { ...step.args, [arg]: e.target.value } })}
                />
                {spec?.type === 'number' && spec.unit && <span className="unit">{spec.unit}</span>}
              </span>
            )
          }
        </FormField>
      ));
  };

  const measurements = step.type === 'check' ? measurementsBefore(shared.all, path) : [];
  /** What a ramp may step: the action's numeric arguments, the channel aside. */
  const numericArgs = command
    ? Object.entries(command.params).filter(
        ([name, p]) => name !== 'channel' && (p.type === 'number' || p.type === 'integer'),
      )
    : [];
  const rampedArg = step.param || (numericArgs[0]?.[0] ?? '');
  const rampSpec = command && rampedArg ? command.params[rampedArg] : undefined;
  const rampUnit = rampSpec?.type === 'number' ? (rampSpec.unit ?? '') : '';

  return (
    <li className="step-item" data-step-type={step.type}>
      <fieldset>
        <legend>{name}</legend>
        <div className="step-head">
          <FormField label="Type" error={undefined}>
            {(id) => (
              <select
                id={id}
                value={step.type}
                onChange={(e) => change({ type: e.target.value as StepType })}
              >
                {STEP_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {STEP_TYPE_TEXT[t]}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {text('Name', 'name', { placeholder: 'optional' })}
          {usesInstrument && (
            <FormField label="Instrument" error={err('equipment_id')}>
              {(id, invalid) => (
                <select
                  id={id}
                  value={step.equipment_id}
                  aria-invalid={invalid}
                  onChange={(e) => change({ equipment_id: e.target.value, action: '', args: {}, field: '' })}
                >
                  <option value="">The job's instrument</option>
                  {instruments.map((i) => (
                    <option key={i.id} value={i.id}>
                      {instrumentName(i)} — {i.id}
                    </option>
                  ))}
                  {step.equipment_id && !instruments.some((i) => i.id === step.equipment_id) && (
                    <option value={step.equipment_id}>{step.equipment_id} (not connected)</option>
                  )}
                </select>
              )}
            </FormField>
          )}
          <div className="step-buttons">
            <button
              type="button"
              className="secondary small-button"
              disabled={first}
              aria-label={`Move ${name.toLowerCase()} up`}
              onClick={() => shared.update((all) => moveStep(all, path, -1))}
            >
              ↑
            </button>
            <button
              type="button"
              className="secondary small-button"
              disabled={last}
              aria-label={`Move ${name.toLowerCase()} down`}
              onClick={() => shared.update((all) => moveStep(all, path, 1))}
            >
              ↓
            </button>
            <button
              type="button"
              className="secondary small-button"
              aria-label={`Remove ${name.toLowerCase()}`}
              onClick={() => shared.update((all) => removeStep(all, path))}
            >
              ✕
            </button>
          </div>
        </div>
        {usesInstrument && !equipment && (
          <p className="field-note">Choose an instrument for this step or for the whole job.</p>
        )}
        <div className="form-grid">
          {step.type === 'set' && (
            <>
              {actionSelect()}
              {argFields([])}
            </>
          )}
          {step.type === 'wait' && text('Seconds', 'seconds', { unit: 's' })}
          {step.type === 'measure' && (
            <>
              {readingSelect('Reading', false)}
              {channelField()}
            </>
          )}
          {step.type === 'check' && (
            <>
              {measurements.length > 0 && (
                <FormField label="Measurement" error={err('measurement')}>
                  {(id, invalid) => (
                    <select
                      id={id}
                      value={step.measurement}
                      aria-invalid={invalid}
                      onChange={(e) => change({ measurement: e.target.value })}
                    >
                      <option value="">None: read now</option>
                      {measurements.map((m) => (
                        <option key={m} value={m}>
                          {m}
                        </option>
                      ))}
                    </select>
                  )}
                </FormField>
              )}
              {!step.measurement && readingSelect('Reading', false)}
              {!step.measurement && channelField()}
              {text('Low limit', 'min', { placeholder: 'none' })}
              {text('High limit', 'max', { placeholder: 'none' })}
              {text('Expected', 'expect', { placeholder: 'none' })}
              {step.expect.trim() !== '' && text('Tolerance', 'tolerance', { placeholder: '0' })}
            </>
          )}
          {step.type === 'ramp' && (
            <>
              {actionSelect()}
              {numericArgs.length > 1 && (
                <FormField label="Ramped argument" error={err('param')}>
                  {(id, invalid) => (
                    <select
                      id={id}
                      value={step.param}
                      aria-invalid={invalid}
                      onChange={(e) => change({ param: e.target.value })}
                    >
                      <option value="">The value the action sets</option>
                      {numericArgs.map(([a]) => (
                        <option key={a} value={a}>
                          {a}
                        </option>
                      ))}
                    </select>
                  )}
                </FormField>
              )}
              {text('From', 'from', { unit: rampUnit })}
              {text('To', 'to', { unit: rampUnit })}
              {text('Step size', 'step', { unit: rampUnit })}
              {text('Dwell', 'dwell_s', { unit: 's' })}
              {channelField()}
              {argFields([rampedArg, 'channel'])}
              {text('Read at each point', 'measure', { placeholder: 'e.g. voltage_actual, current_actual' })}
            </>
          )}
          {step.type === 'repeat' && text('Times', 'count')}
        </div>
        <ErrorAlert message={err() ?? err('steps') ?? err('args')} />
        {step.type === 'repeat' && (
          <div className="step-children">
            <StepList shared={shared} steps={step.steps} parent={path} />
          </div>
        )}
      </fieldset>
    </li>
  );
}
