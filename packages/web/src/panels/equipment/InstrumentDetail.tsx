// One instrument: who it is, its state, its nickname, disconnecting it, and the control panel for its type. Its
// controls are disabled, with the reason, while it is not connected, the server cannot be reached, or the
// signed-in role may not control (a viewer).

import { type FormEvent, useId, useState } from 'react';
import { useRoleBlocked } from '../../app/auth';
import { useClient, useReachability } from '../../app/client';
import { useNotify } from '../../app/notifications';
import { navigate } from '../../app/router';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StaleScope } from '../../components/LiveValues';
import { CONTROL_PANELS } from '../../instruments';
import type { Equipment } from '../../instruments/types';
import { describeError } from '../../lib/errors';
import { controlsBlocked } from '../../lib/freshness';
import { displayName } from './InstrumentList';
import { StateBadge } from './StateBadge';

interface Props {
  equipment: Equipment;
  onChanged(e: Equipment): void;
  onRemoved(): void;
}

export function InstrumentDetail({ equipment, onChanged, onRemoved }: Props) {
  const panel = CONTROL_PANELS[equipment.type];
  const { reachable } = useReachability();
  const roleReason = useRoleBlocked('operator');
  const blocked = controlsBlocked({ state: equipment.state, reachable, roleReason });
  // Streams run while the instrument is connected and the server answers, whatever the role; controls also need
  // a role that may control.
  const online = controlsBlocked({ state: equipment.state, reachable }) === null;
  const controls = blocked === null;
  return (
    <StaleScope>
      {(stale) => (
        <article
          className="instrument"
          aria-label={displayName(equipment)}
          data-equipment-id={equipment.id}
          data-controls={controls ? 'enabled' : 'disabled'}
        >
          <header className="instrument-header card">
            <div className="instrument-title">
              <h2>{displayName(equipment)}</h2>
              <StateBadge state={equipment.state} error={equipment.error} stale={stale} />
            </div>
            <dl className="facts">
              <div>
                <dt>Type</dt>
                <dd>{panel?.title ?? equipment.type}</dd>
              </div>
              <div>
                <dt>Address</dt>
                <dd className="mono">{equipment.resource_string}</dd>
              </div>
              <div>
                <dt>Serial</dt>
                <dd>{equipment.serial_number ?? '—'}</dd>
              </div>
              <div>
                <dt>Firmware</dt>
                <dd>{equipment.firmware_version ?? '—'}</dd>
              </div>
              <div>
                <dt>ID</dt>
                <dd className="mono">{equipment.id}</dd>
              </div>
            </dl>
            <div className="instrument-actions">
              <NicknameForm
                equipment={equipment}
                onChanged={onChanged}
                disabled={!reachable || roleReason !== null}
              />
              <DisconnectButton
                equipment={equipment}
                onRemoved={onRemoved}
                disabled={!reachable || roleReason !== null}
              />
            </div>
          </header>

          {blocked && (
            <p className="notice controls-blocked" role="status">
              {blocked}
              {blocked === roleReason
                ? '.'
                : reachable
                  ? `${equipment.error ? `: ${equipment.error}` : ''}. LabLink reconnects by itself.`
                  : ": the instrument's state cannot be known until the server answers again."}
            </p>
          )}
          {panel ? (
            <panel.Control equipment={equipment} online={online} controls={controls} />
          ) : (
            <p className="notice">LabLink has no control panel for {equipment.type} instruments.</p>
          )}
        </article>
      )}
    </StaleScope>
  );
}

function NicknameForm({
  equipment,
  onChanged,
  disabled,
}: {
  equipment: Equipment;
  onChanged(e: Equipment): void;
  disabled: boolean;
}) {
  const { rest } = useClient();
  const notify = useNotify();
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (draft === null) return;
    setBusy(true);
    try {
      const nickname = draft.trim() || null;
      const updated = await rest.setNickname(equipment.id, nickname);
      onChanged(updated);
      setDraft(null);
      setError(null);
      notify('success', nickname ? `Renamed to "${nickname}"` : 'Nickname removed');
    } catch (err) {
      const reason = describeError(err);
      setError(reason);
      notify('error', `Nickname not saved: ${reason}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={save}>
      <label htmlFor={id}>Nickname</label>
      <input
        id={id}
        value={draft ?? equipment.nickname ?? ''}
        placeholder={equipment.model}
        maxLength={100}
        onChange={(e) => setDraft(e.target.value)}
        disabled={busy || disabled}
        autoComplete="off"
      />
      <button type="submit" disabled={busy || disabled || draft === null}>
        Save nickname
      </button>
      <ErrorAlert message={error} />
    </form>
  );
}

function DisconnectButton({
  equipment,
  onRemoved,
  disabled,
}: {
  equipment: Equipment;
  onRemoved(): void;
  disabled: boolean;
}) {
  const { rest } = useClient();
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const disconnect = async () => {
    setBusy(true);
    try {
      await rest.disconnect(equipment.id);
      notify('success', `${displayName(equipment)} disconnected (outputs turned off first)`);
      onRemoved();
      navigate('equipment');
    } catch (err) {
      notify('error', `${displayName(equipment)} not disconnected: ${describeError(err)}`);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  if (!confirming) {
    return (
      <button type="button" className="secondary" onClick={() => setConfirming(true)} disabled={disabled}>
        Disconnect
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend>Turn its outputs off and disconnect?</legend>
      <button type="button" className="danger" onClick={disconnect} disabled={busy || disabled}>
        {busy ? 'Disconnecting…' : 'Yes, disconnect'}
      </button>
      <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
        Cancel
      </button>
    </fieldset>
  );
}
