// The Scheduler panel: the jobs with their status, next run and what their runs are doing now; a job's page with
// its next runs and the history of its runs (verdicts, results, errors, step by step); the history of every run;
// and the editor (trigger builder with the server's preview, step editor for test sequences). Sub-pages are
// routes: #/scheduler, #/scheduler/history, #/scheduler/new, #/scheduler/job/{id}, #/scheduler/edit/{id}.

import { RoleScope } from '../../app/auth';
import { href } from '../../app/router';
import type { PanelProps } from '../index';
import { AllRuns } from './Executions';
import { JobAlertsForm } from './JobAlertsForm';
import { JobDetail } from './JobDetail';
import { JobEditorPage } from './JobEditor';
import { JobList } from './JobList';
import { JobsProvider } from './useJobs';
import './scheduler.css';

const VIEWS = [
  { id: '', title: 'Jobs' },
  { id: 'history', title: 'Run history' },
] as const;

export function SchedulerPanel({ path }: PanelProps) {
  const [view = '', id] = path;
  const current = view === 'history' ? 'history' : '';
  return (
    <JobsProvider>
      <div className="scheduler-panel">
        <header className="alarms-header">
          <h2>Scheduler</h2>
          <nav aria-label="Scheduler views" className="subnav">
            {VIEWS.map((v) => (
              <a
                key={v.id}
                href={v.id ? href('scheduler', v.id) : href('scheduler')}
                aria-current={v.id === current ? 'page' : undefined}
              >
                {v.title}
              </a>
            ))}
          </nav>
          <JobAlertsForm />
        </header>
        {view === 'history' && <AllRuns />}
        <RoleScope>
          {view === 'new' && <JobEditorPage jobId={null} />}
          {view === 'edit' && id && <JobEditorPage jobId={id} />}
          {view === 'job' && id && <JobDetail jobId={id} />}
          {!['history', 'new', 'edit', 'job'].includes(view) && <JobList />}
        </RoleScope>
      </div>
    </JobsProvider>
  );
}
