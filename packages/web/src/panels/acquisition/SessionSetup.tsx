// Setting up a session: the sources come from the bench's list (an instrument, then one of the reading fields it
// declares on one of its channels, or a scope channel's waveform), never typed by hand; then the mode, the rate,
// how long, and for a triggered session the trigger. What the server refuses is shown next to the field it names.

import { type AlarmParameters, type EquipmentInfo, LabLinkError } from '@lablink/client';
import { type FormEvent, useEffect, useState } from 'react';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormField, NumberField } from '../../components/FormField';
import { describeError } from '../../lib/errors';
import { instrumentName } from '../alarms/useEquipmentNames';
import {
  channelColor,
  channelName,
  EDGES,
  emptyForm,
  type FieldErrors,
  formFieldOf,
  MODES,
  type PickedSource,
  requestFromForm,
  type SessionForm,
  sameSource,
  TRIGGERS,
  triggerFields,
} from './model';

interface Props {
  instruments: EquipmentInfo[];
  onCreated(acquisitionId: string): void;
}

const SCOPE_CHANNELS = 4;

export function SessionSetup({ instruments, onCreated }: Props) {
  const { rest } = useClient();
  const notify = useNotify();
  const [form, setForm] = useState<SessionForm>(emptyForm);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The source being picked.
  const [equipmentId, setEquipmentId] = useState('');
  const [field, setField] = useState('');
  const [channel, setChannel] = useState('1');
  const [params, setParams] = useState<AlarmParameters | null>(null);
  const [paramsError, setParamsError] = useState<string | null>(null);

  const set = <K extends keyof SessionForm>(key: K, value: SessionForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };

  useEffect(() => {
    setParams(null);
    setParamsError(null);
    setField('');
    setChannel('1');
    if (!equipmentId) return;
    let current = true;
    rest
      .alarmParameters(equipmentId)
      .then((p) => {
        if (current) setParams(p);
      })
      .catch((err) => {
        if (current) setParamsError(`Could not read what this instrument offers: ${describeError(err)}`);
      });
    return () => {
      current = false;
    };
  }, [rest, equipmentId]);

  const instrument = instruments.find((i) => i.id === equipmentId);
  const isScope = instrument?.type === 'oscilloscope' || params?.equipment_type === 'oscilloscope';
  const channelCount = isScope ? Math.max(params?.channels ?? 0, SCOPE_CHANNELS) : (params?.channels ?? 1);
  const showChannel = channelCount > 1;

  const addSource = () => {
    if (!equipmentId || !field) return;
    const source: PickedSource = {
      equipment_id: equipmentId,
      field,
      ...(showChannel ? { channel: Number(channel) } : {}),
    };
    if (form.sources.some((s) => sameSource(s, source))) return;
    set('sources', [...form.sources, source]);
  };

  const shown = triggerFields(form);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { request, errors: local } = requestFromForm(form);
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const created = await rest.createAcquisition(request);
      notify('success', `Session ${form.name || created.acquisition_id} created`);
      onCreated(created.acquisition_id);
    } catch (err) {
      const reason = describeError(err);
      const key = err instanceof LabLinkError ? formFieldOf(err.field) : '';
      if (key) setErrors({ [key]: reason });
      else setFormError(reason);
      notify('error', `Session not created: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="acq-setup card" onSubmit={submit} aria-label="New session" noValidate>
      <h3>New session</h3>
      <fieldset>
        <legend>What to record</legend>
        <div className="form-grid">
          <FormField label="Instrument" error={undefined}>
            {(id) => (
              <select id={id} value={equipmentId} onChange={(e) => setEquipmentId(e.target.value)}>
                <option value="">Choose an instrument…</option>
                {instruments.map((i) => (
                  <option key={i.id} value={i.id}>
                    {instrumentName(i)} — {i.id}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {equipmentId && showChannel && (
            <FormField label="Channel" error={undefined}>
              {(id) => (
                <select id={id} value={channel} onChange={(e) => setChannel(e.target.value)}>
                  {Array.from({ length: channelCount }, (_, i) => i + 1).map((c) => (
                    <option key={c} value={String(c)}>
                      CH{c}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          )}
          {equipmentId && (
            <FormField label="Reading" error={paramsError ?? undefined}>
              {(id) => (
                <select
                  id={id}
                  value={field}
                  disabled={!params && !paramsError && !isScope}
                  onChange={(e) => setField(e.target.value)}
                >
                  <option value="">{params || isScope ? 'Choose a reading…' : 'Loading…'}</option>
                  {isScope && <option value="waveform">waveform — the channel's captures, whole</option>}
                  {params?.parameters.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name}
                      {p.unit ? ` (${p.unit})` : ''}
                      {p.description ? ` — ${p.description}` : ''}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          )}
          <div className="form-field form-field-button">
            <button type="button" className="secondary" onClick={addSource} disabled={!equipmentId || !field}>
              Add channel
            </button>
          </div>
        </div>
        <ul className="acq-sources" aria-label="Channels to record">
          {form.sources.map((s, i) => (
            <li key={channelName(s)}>
              <span className="acq-swatch" style={{ background: channelColor(i) }} aria-hidden="true" />
              <span className="mono">{channelName(s)}</span>
              <button
                type="button"
                className="secondary small-button"
                aria-label={`Remove ${channelName(s)}`}
                onClick={() =>
                  set(
                    'sources',
                    form.sources.filter((x) => !sameSource(x, s)),
                  )
                }
              >
                Remove
              </button>
            </li>
          ))}
          {form.sources.length === 0 && (
            <li className="muted">No channels yet: pick an instrument and a reading.</li>
          )}
        </ul>
        <ErrorAlert message={errors.sources} />
      </fieldset>

      <fieldset>
        <legend>How</legend>
        <div className="form-grid">
          <FormField label="Name" error={errors.name}>
            {(id, invalid) => (
              <input
                id={id}
                value={form.name}
                maxLength={200}
                placeholder="optional"
                aria-invalid={invalid}
                onChange={(e) => set('name', e.target.value)}
              />
            )}
          </FormField>
          <FormField label="Mode" error={errors.mode}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.mode}
                aria-invalid={invalid}
                onChange={(e) => set('mode', e.target.value as SessionForm['mode'])}
              >
                {MODES.map((m) => (
                  <option key={m.value} value={m.value}>
                    {m.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <NumberField
            label="Sample rate"
            name="sample_rate"
            unit="Hz"
            form={form}
            set={set}
            errors={errors}
          />
          <FormField label="Stop after" error={errors.limit}>
            {(id, invalid) => (
              <select
                id={id}
                value={form.limit}
                aria-invalid={invalid}
                onChange={(e) => set('limit', e.target.value as SessionForm['limit'])}
              >
                <option value="none">Stop by hand</option>
                <option value="duration">A duration</option>
                <option value="samples">A number of samples</option>
              </select>
            )}
          </FormField>
          {form.limit === 'duration' && (
            <NumberField
              label="Duration"
              name="duration_seconds"
              unit="s"
              form={form}
              set={set}
              errors={errors}
            />
          )}
          {form.limit === 'samples' && (
            <NumberField
              label="Samples"
              name="num_samples"
              unit="per channel"
              form={form}
              set={set}
              errors={errors}
            />
          )}
          <NumberField
            label="Buffer"
            name="buffer_size"
            unit="samples"
            placeholder="server default"
            form={form}
            set={set}
            errors={errors}
          />
        </div>
      </fieldset>

      {shown.type && (
        <fieldset>
          <legend>Trigger</legend>
          <div className="form-grid">
            <FormField label="Trigger" error={errors.trigger_type}>
              {(id, invalid) => (
                <select
                  id={id}
                  value={form.trigger_type}
                  aria-invalid={invalid}
                  onChange={(e) => set('trigger_type', e.target.value as SessionForm['trigger_type'])}
                >
                  {TRIGGERS.map((t) => (
                    <option key={t.value} value={t.value}>
                      {t.label}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
            {shown.channel && (
              <FormField label="Trigger channel" error={errors.trigger_channel}>
                {(id, invalid) => (
                  <select
                    id={id}
                    value={form.trigger_channel}
                    aria-invalid={invalid}
                    onChange={(e) => set('trigger_channel', e.target.value)}
                  >
                    <option value="">The first channel</option>
                    {form.sources.map((s) => (
                      <option key={channelName(s)} value={channelName(s)}>
                        {channelName(s)}
                      </option>
                    ))}
                  </select>
                )}
              </FormField>
            )}
            {shown.level && (
              <NumberField label="Level" name="level" unit="" form={form} set={set} errors={errors} />
            )}
            {shown.edge && (
              <FormField label="Edge" error={errors.edge}>
                {(id, invalid) => (
                  <select
                    id={id}
                    value={form.edge}
                    aria-invalid={invalid}
                    onChange={(e) => set('edge', e.target.value as SessionForm['edge'])}
                  >
                    {EDGES.map((x) => (
                      <option key={x.value} value={x.value}>
                        {x.label}
                      </option>
                    ))}
                  </select>
                )}
              </FormField>
            )}
            {shown.preTrigger && (
              <NumberField
                label="Pre-trigger"
                name="pre_trigger_samples"
                unit="samples"
                placeholder="0"
                form={form}
                set={set}
                errors={errors}
              />
            )}
            {shown.startTime && (
              <FormField label="Start at" error={errors.start_time}>
                {(id, invalid) => (
                  <input
                    id={id}
                    type="datetime-local"
                    step="1"
                    value={form.start_time}
                    aria-invalid={invalid}
                    onChange={(e) => set('start_time', e.target.value)}
                  />
                )}
              </FormField>
            )}
          </div>
        </fieldset>
      )}

      <ErrorAlert message={formError} />
      <div className="form-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create session'}
        </button>
      </div>
    </form>
  );
}
