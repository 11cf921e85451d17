// The Alarms panel: what is in alarm now (acknowledge, shelve, clear), the definitions (what to watch and when to
// raise), the history, and the alarm-load figures. Sub-pages are routes: #/alarms, #/alarms/definitions,
// #/alarms/history, #/alarms/load.

import { RoleScope } from '../../app/auth';
import { href } from '../../app/router';
import type { PanelProps } from '../index';
import { ActiveAlarms } from './ActiveAlarms';
import { useActiveAlarms } from './AlarmsProvider';
import { AlertSettingsForm } from './AlertSettingsForm';
import { Definitions } from './Definitions';
import { History } from './History';
import { LoadFigures } from './LoadFigures';

const VIEWS = [
  { id: '', title: 'Active' },
  { id: 'definitions', title: 'Definitions' },
  { id: 'history', title: 'History' },
  { id: 'load', title: 'Alarm load' },
] as const;

export function AlarmsPanel({ path }: PanelProps) {
  const view = VIEWS.find((v) => v.id === (path[0] ?? '')) ?? VIEWS[0];
  const { events } = useActiveAlarms();
  return (
    <div className="alarms-panel">
      <header className="alarms-header">
        <h2>Alarms</h2>
        <nav aria-label="Alarm views" className="subnav">
          {VIEWS.map((v) => (
            <a
              key={v.id}
              href={v.id ? href('alarms', v.id) : href('alarms')}
              aria-current={v.id === view.id ? 'page' : undefined}
            >
              {v.title}
              {v.id === '' && events.length > 0 ? ` (${events.length})` : ''}
            </a>
          ))}
        </nav>
        <AlertSettingsForm />
      </header>
      {view.id === '' && (
        <RoleScope>
          <ActiveAlarms />
        </RoleScope>
      )}
      {view.id === 'definitions' && (
        <RoleScope>
          <Definitions editing={path[1]} />
        </RoleScope>
      )}
      {view.id === 'history' && <History />}
      {view.id === 'load' && <LoadFigures />}
    </div>
  );
}
