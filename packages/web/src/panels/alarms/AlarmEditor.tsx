// Creating or editing an alarm definition. The instrument comes from the bench's list and the reading from the
// fields that instrument declares (GET /api/alarms/parameters/{id}), never typed by hand; the form shows only
// the fields the chosen type and condition use. What the server refuses is shown next to the field it names.

import { type AlarmConfig, type AlarmParameters, type EquipmentInfo, LabLinkError } from '@lablink/client';
import { type FormEvent, useEffect, useState } from 'react';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormField, NumberField } from '../../components/FormField';
import { describeError } from '../../lib/errors';
import {
  ALARM_TYPES,
  type AlarmForm,
  CONDITIONS,
  channelList,
  definitionFromForm,
  emptyForm,
  type FieldErrors,
  formFieldOf,
  formFromAlarm,
  isRange,
  NOTIFICATION_METHODS,
  SEVERITIES,
  SEVERITY_TEXT,
  watchesReadings,
} from './model';
import { instrumentName } from './useEquipmentNames';

interface Props {
  alarm: AlarmConfig | null;
  instruments: EquipmentInfo[];
  onSaved(alarm: AlarmConfig): void;
  onCancel(): void;
}

export function AlarmEditor({ alarm, instruments, onSaved, onCancel }: Props) {
  const { rest } = useClient();
  const notify = useNotify();
  const [form, setForm] = useState<AlarmForm>(() => (alarm ? formFromAlarm(alarm) : emptyForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [params, setParams] = useState<AlarmParameters | null>(null);
  const [paramsError, setParamsError] = useState<string | null>(null);

  const set = <K extends keyof AlarmForm>(key: K, value: AlarmForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };

  // The readings (and channels) of the chosen instrument.
  useEffect(() => {
    setParams(null);
    setParamsError(null);
    if (!form.equipment_id) return;
    let current = true;
    rest
      .alarmParameters(form.equipment_id)
      .then((p) => {
        if (current) setParams(p);
      })
      .catch((err) => {
        if (current) setParamsError(`Could not read what this instrument offers: ${describeError(err)}`);
      });
    return () => {
      current = false;
    };
  }, [rest, form.equipment_id]);

  const readings = watchesReadings(form.alarm_type);
  // LabLink's own alarms (communication, safety) keep what they watch; their handling can be tuned.
  const fixed = alarm?.builtin ?? false;
  const range = isRange(form.condition);
  const unit = params?.parameters.find((p) => p.name === form.parameter)?.unit ?? '';
  const channels = channelList(params?.channels);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { definition, errors: local } = definitionFromForm(form, alarm !== null);
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const saved = alarm
        ? await rest.updateAlarm(alarm.alarm_id, definition)
        : await rest.createAlarm(definition);
      notify('success', `Alarm ${saved.name} ${alarm ? 'saved' : 'created'}`);
      onSaved(saved);
    } catch (err) {
      const reason = describeError(err);
      const field = err instanceof LabLinkError ? formFieldOf(err.field) : '';
      if (field) setErrors({ [field]: reason });
      else setFormError(reason);
      notify('error', `Alarm not ${alarm ? 'saved' : 'created'}: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="alarm-editor card"
      onSubmit={submit}
      aria-label={alarm ? `Edit ${alarm.name}` : 'New alarm'}
      noValidate
    >
      <h3>{alarm ? `Edit ${alarm.name}` : 'New alarm'}</h3>
      {fixed && (
        <p className="field-note">
          One of LabLink's own alarms: what it watches is fixed; its name, severity, notifications and the
          rest can be changed.
        </p>
      )}

      <fieldset>
        <legend>What to watch</legend>
        <div className="form-grid">
          <FormField label="Name" error={errors.name}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.name}
                maxLength={100}
                aria-invalid={invalid}
                onChange={(e) => set('name', e.target.value)}
              />
            )}
          </FormField>
          <FormField label="Type" error={errors.alarm_type}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.alarm_type}
                aria-invalid={invalid}
                disabled={fixed}
                onChange={(e) => set('alarm_type', e.target.value as AlarmForm['alarm_type'])}
              >
                {ALARM_TYPES.map((t) => (
                  <option key={t.value} value={t.value}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField label="Instrument" error={errors.equipment_id}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.equipment_id}
                aria-invalid={invalid}
                disabled={fixed}
                onChange={(e) => {
                  set('equipment_id', e.target.value);
                  set('parameter', '');
                  set('channel', '');
                }}
              >
                <option value="">{readings ? 'Choose an instrument…' : 'None'}</option>
                {instruments.map((i) => (
                  <option key={i.id} value={i.id}>
                    {instrumentName(i)} — {i.id}
                  </option>
                ))}
                {form.equipment_id && !instruments.some((i) => i.id === form.equipment_id) && (
                  <option value={form.equipment_id}>{form.equipment_id} (not connected)</option>
                )}
              </select>
            )}
          </FormField>
          {channels.length > 0 && (
            <FormField label="Channel" error={errors.channel}>
              {(id, invalid) => (
                <select
                  id={id}
                  value={form.channel || '1'}
                  aria-invalid={invalid}
                  onChange={(e) => set('channel', e.target.value)}
                >
                  {channels.map((c) => (
                    <option key={c} value={String(c)}>
                      CH{c}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          )}
          {form.equipment_id && (
            <FormField label="Reading" error={errors.parameter ?? paramsError ?? undefined}>
              {(id, invalid) => (
                <select
                  id={id}
                  value={form.parameter}
                  aria-invalid={invalid}
                  disabled={fixed || (!params && !paramsError)}
                  onChange={(e) => set('parameter', e.target.value)}
                >
                  <option value="">{params ? 'Choose a reading…' : 'Loading…'}</option>
                  {params?.parameters.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name}
                      {p.unit ? ` (${p.unit})` : ''}
                      {p.description ? ` — ${p.description}` : ''}
                    </option>
                  ))}
                  {form.parameter && params && !params.parameters.some((p) => p.name === form.parameter) && (
                    <option value={form.parameter}>{form.parameter}</option>
                  )}
                </select>
              )}
            </FormField>
          )}
          <FormField label="Description" error={errors.description} wide>
            {(id, invalid) => (
              <input
                id={id}
                value={form.description}
                maxLength={1000}
                aria-invalid={invalid}
                onChange={(e) => set('description', e.target.value)}
              />
            )}
          </FormField>
        </div>
      </fieldset>

      {readings && (
        <fieldset>
          <legend>When to raise it</legend>
          <div className="form-grid">
            <FormField label="Condition" error={errors.condition}>
              {(id, invalid) => (
                <select
                  id={id}
                  value={form.condition}
                  aria-invalid={invalid}
                  onChange={(e) => set('condition', e.target.value as AlarmForm['condition'])}
                >
                  {CONDITIONS.map((c) => (
                    <option key={c.value} value={c.value}>
                      {c.label}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
            {range ? (
              <>
                <NumberField
                  label="Low"
                  name="threshold_low"
                  unit={unit}
                  form={form}
                  set={set}
                  errors={errors}
                />
                <NumberField
                  label="High"
                  name="threshold_high"
                  unit={unit}
                  form={form}
                  set={set}
                  errors={errors}
                />
              </>
            ) : (
              <NumberField
                label={
                  form.alarm_type === 'deviation'
                    ? 'Allowed deviation'
                    : form.alarm_type === 'rate_of_change'
                      ? 'Rate'
                      : 'Threshold'
                }
                name="threshold"
                unit={form.alarm_type === 'rate_of_change' ? `${unit}/s` : unit}
                form={form}
                set={set}
                errors={errors}
              />
            )}
            {form.alarm_type === 'deviation' && (
              <NumberField
                label="Reference"
                name="reference"
                unit={unit}
                placeholder="the instrument's setpoint"
                form={form}
                set={set}
                errors={errors}
              />
            )}
            {form.alarm_type === 'rate_of_change' && (
              <NumberField
                label="Over"
                name="window_seconds"
                unit="s"
                placeholder="1"
                form={form}
                set={set}
                errors={errors}
              />
            )}
            <NumberField
              label="Deadband"
              name="deadband"
              unit={unit}
              placeholder="0"
              form={form}
              set={set}
              errors={errors}
            />
            <NumberField
              label="Delay"
              name="delay_seconds"
              unit="s"
              placeholder="0"
              form={form}
              set={set}
              errors={errors}
            />
            <NumberField
              label="Count"
              name="count"
              unit="times"
              placeholder="off"
              form={form}
              set={set}
              errors={errors}
            />
            <NumberField
              label="Within"
              name="count_window_seconds"
              unit="s"
              placeholder="—"
              form={form}
              set={set}
              errors={errors}
            />
            <NumberField
              label="Evaluate every"
              name="interval_ms"
              unit="ms"
              placeholder="500"
              form={form}
              set={set}
              errors={errors}
            />
          </div>
          <p className="field-note">
            Deadband: back to normal only once the reading is that far inside the threshold. Delay: the
            condition must hold that long. Count: raise only when the condition came true that many times
            within the window.
          </p>
        </fieldset>
      )}

      <fieldset>
        <legend>How it is handled</legend>
        <div className="form-grid">
          <FormField label="Severity" error={errors.severity}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.severity}
                aria-invalid={invalid}
                onChange={(e) => set('severity', e.target.value as AlarmForm['severity'])}
              >
                {[...SEVERITIES].reverse().map((s) => (
                  <option key={s} value={s}>
                    {SEVERITY_TEXT[s]}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField label="Tags" error={errors.tags}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.tags}
                placeholder="comma, separated"
                aria-invalid={invalid}
                onChange={(e) => set('tags', e.target.value)}
              />
            )}
          </FormField>
        </div>
        <div className="checks">
          <label>
            <input
              type="checkbox"
              checked={form.latching}
              onChange={(e) => set('latching', e.target.checked)}
            />{' '}
            Latching: stays until acknowledged, even when back to normal
          </label>
          <label>
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => set('enabled', e.target.checked)}
            />{' '}
            Enabled
          </label>
          <ErrorAlert message={errors.latching ?? errors.enabled} />
        </div>
        <fieldset className="checks plain">
          <legend className="checks-label">Notify</legend>
          {NOTIFICATION_METHODS.map((m) => (
            <label key={m.value}>
              <input
                type="checkbox"
                checked={form.notifications.includes(m.value)}
                onChange={(e) =>
                  set(
                    'notifications',
                    e.target.checked
                      ? [...form.notifications, m.value]
                      : form.notifications.filter((n) => n !== m.value),
                  )
                }
              />{' '}
              {m.label}
            </label>
          ))}
          <ErrorAlert message={errors.notifications} />
        </fieldset>
      </fieldset>

      <ErrorAlert message={formError} />
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : alarm ? 'Save' : 'Create alarm'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
