// The Acquisition panel: set up a session from the bench's instruments, run it with a live chart and its quality
// figures, compute statistics, export it, and reopen past sessions from storage. #/acquisition shows the set-up
// and the sessions; #/acquisition/<acquisition_id> opens one session beside them.

import { useState } from 'react';
import { RoleScope } from '../../app/auth';
import { href, navigate } from '../../app/router';
import { useInstruments } from '../alarms/useEquipmentNames';
import type { PanelProps } from '../index';
import { SessionList } from './SessionList';
import { SessionSetup } from './SessionSetup';
import { SessionView } from './SessionView';

export function AcquisitionPanel({ path }: PanelProps) {
  const openId = path[0];
  const { list } = useInstruments();
  const [version, setVersion] = useState(0);
  return (
    <div className="acquisition-panel">
      <header className="alarms-header">
        <h2>Acquisition</h2>
        <nav aria-label="Acquisition views" className="subnav">
          <a href={href('acquisition')} aria-current={openId ? undefined : 'page'}>
            New session
          </a>
          {openId && (
            <a href={href('acquisition', openId)} aria-current="page">
              {openId}
            </a>
          )}
        </nav>
      </header>
      <div className="acq-layout">
        <div className="acq-main">
          {openId ? (
            <SessionView key={openId} acquisitionId={openId} onChanged={() => setVersion((v) => v + 1)} />
          ) : (
            <RoleScope>
              <SessionSetup
                instruments={list}
                onCreated={(id) => {
                  setVersion((v) => v + 1);
                  navigate('acquisition', id);
                }}
              />
            </RoleScope>
          )}
        </div>
        <SessionList openId={openId} version={version} />
      </div>
    </div>
  );
}
