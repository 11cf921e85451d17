// Adding instruments: discovery (the simulated bench, configured instruments, serial ports — probing takes a
// moment, so it shows its progress) or a VISA address typed in.

import { type DiscoveredDevice, LabLinkError } from '@lablink/client';
import { type FormEvent, useId, useState } from 'react';
import { useClient } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { href, navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import type { Equipment } from '../../instruments/types';
import { describeError } from '../../lib/errors';
import { plural } from '../../lib/freshness';

const STATUS_TEXT: Record<DiscoveredDevice['status'], string> = {
  available: 'Available',
  connected: 'Connected',
  unreachable: 'Unreachable',
  unprobed: 'Not probed (serial)',
};

/** Connects and announces the outcome; resolves with the instrument, or null after saying why not. */
function useConnect(onConnected: (e: Equipment) => void) {
  const { rest } = useClient();
  const notify = useNotify();
  return async (request: { resource_string: string; model?: string; nickname?: string }) => {
    try {
      const { equipment } = await rest.connect(request);
      onConnected(equipment);
      notify(
        'success',
        `Connected ${equipment.manufacturer} ${equipment.model} at ${equipment.resource_string}`,
      );
      navigate('equipment', equipment.id);
      return null;
    } catch (err) {
      const reason = describeError(err);
      notify('error', `Could not connect ${request.resource_string}: ${reason}`);
      return { reason, forms: acceptedForms(err) };
    }
  };
}

/** Why a connect failed, and the address forms LabLink reads when the address itself was not one. */
interface ConnectRefusal {
  reason: string;
  forms: readonly string[] | null;
}

function acceptedForms(err: unknown): readonly string[] | null {
  const forms = err instanceof LabLinkError ? err.body?.accepted_forms : undefined;
  return Array.isArray(forms) ? forms.map(String) : null;
}

/** Folded away once the bench has instruments, so on a phone the list and controls come first. */
export function AddInstrument({ onConnected, open }: { onConnected(e: Equipment): void; open: boolean }) {
  return (
    <details className="card add-instrument" open={open}>
      <summary>
        <h2 className="add-instrument-title">Add an instrument</h2>
      </summary>
      <Discovery onConnected={onConnected} />
      <ConnectByAddress onConnected={onConnected} />
    </details>
  );
}

function Discovery({ onConnected }: { onConnected(e: Equipment): void }) {
  const { rest } = useClient();
  const notify = useNotify();
  const connect = useConnect(onConnected);
  const [running, setRunning] = useState(false);
  const [devices, setDevices] = useState<DiscoveredDevice[] | null>(null);
  const [connecting, setConnecting] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const discover = async () => {
    setRunning(true);
    try {
      const { devices: found } = await rest.discover();
      setDevices(found);
      notify('info', `Discovery found ${plural(found.length, 'instrument')}`);
    } catch (err) {
      notify('error', `Discovery failed: ${describeError(err)}`);
    } finally {
      setRunning(false);
    }
  };

  const connectDevice = async (device: DiscoveredDevice) => {
    setConnecting(device.resource_name);
    const error = (await connect({ resource_string: device.resource_name }))?.reason ?? null;
    setErrors((e) => ({ ...e, [device.resource_name]: error ?? '' }));
    setConnecting(null);
    if (!error) setDevices(null);
  };

  return (
    <div className="discovery">
      <button type="button" onClick={discover} disabled={running}>
        {running ? 'Discovering…' : 'Discover instruments'}
      </button>
      {running && (
        <div className="progress-row" role="status">
          <progress aria-label="Discovery in progress" />
          <span>Asking the simulated bench, configured instruments and serial ports who they are…</span>
        </div>
      )}
      {devices && devices.length === 0 && <p className="muted">Nothing found.</p>}
      {devices && devices.length > 0 && (
        <ul className="discovered" aria-label="Discovered instruments">
          {devices.map((d) => (
            <li key={d.resource_name}>
              <div>
                <strong>
                  {d.manufacturer || d.model
                    ? `${d.manufacturer ?? ''} ${d.model ?? ''}`.trim()
                    : 'Unknown instrument'}
                </strong>
                <span className="muted small">
                  {d.resource_name} · {d.discovery_method} · {STATUS_TEXT[d.status]}
                </span>
                {d.error && <span className="field-error">{d.error}</span>}
                {errors[d.resource_name] && (
                  <span className="field-error" role="alert">
                    {errors[d.resource_name]}
                  </span>
                )}
              </div>
              {d.equipment_id ? (
                <a href={href('equipment', d.equipment_id)}>Open</a>
              ) : (
                <button
                  type="button"
                  onClick={() => connectDevice(d)}
                  disabled={connecting !== null || d.status === 'unreachable'}
                  aria-label={`Connect ${d.resource_name}`}
                >
                  {connecting === d.resource_name ? 'Connecting…' : 'Connect'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ConnectByAddress({ onConnected }: { onConnected(e: Equipment): void }) {
  const connect = useConnect(onConnected);
  const ids = { address: useId(), model: useId(), nickname: useId() };
  const [address, setAddress] = useState('');
  const [model, setModel] = useState('');
  const [nickname, setNickname] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ConnectRefusal | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const reason = await connect({
      resource_string: address.trim(),
      ...(model.trim() ? { model: model.trim() } : {}),
      ...(nickname.trim() ? { nickname: nickname.trim() } : {}),
    });
    setError(reason);
    setBusy(false);
    if (!reason) {
      setAddress('');
      setModel('');
      setNickname('');
    }
  };

  return (
    <form className="connect-form" onSubmit={submit}>
      <h3>By address</h3>
      <label htmlFor={ids.address}>Address</label>
      <input
        id={ids.address}
        value={address}
        onChange={(e) => setAddress(e.target.value)}
        placeholder="192.168.1.50, host:5025 or TCPIP0::192.168.1.50::5025::SOCKET"
        required
        autoComplete="off"
        spellCheck={false}
      />
      <label htmlFor={ids.model}>Model (only for instruments without *IDN?, e.g. 1685B)</label>
      <input id={ids.model} value={model} onChange={(e) => setModel(e.target.value)} autoComplete="off" />
      <label htmlFor={ids.nickname}>Nickname (optional)</label>
      <input
        id={ids.nickname}
        value={nickname}
        onChange={(e) => setNickname(e.target.value)}
        autoComplete="off"
      />
      <button type="submit" disabled={busy || !address.trim()}>
        {busy ? 'Connecting…' : 'Connect'}
      </button>
      <ErrorAlert message={error?.reason} />
      {error?.forms && (
        <details className="accepted-forms">
          <summary>Addresses LabLink reads</summary>
          <ul>
            {error.forms.map((form) => (
              <li key={form}>
                <code>{form}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </form>
  );
}
