// Whether this browser shows a desktop notification when a job fails (remembered here). Turning it on is the
// click that lets the page ask the browser for permission.

import { useState } from 'react';
import { notificationPermission, requestNotificationPermission } from '../alarms/alerts';
import { type JobAlertSettings, loadJobAlerts, saveJobAlerts } from './model';

const storage = () => (typeof localStorage === 'undefined' ? undefined : localStorage);

export function JobAlertsForm() {
  const [settings, setSettingsState] = useState(() => loadJobAlerts(storage()));
  const [permission, setPermission] = useState(notificationPermission);
  const setSettings = (next: JobAlertSettings) => {
    setSettingsState(next);
    saveJobAlerts(storage(), next);
    if (next.desktop) void requestNotificationPermission().then(setPermission);
  };
  return (
    <fieldset className="alert-settings">
      <legend className="visually-hidden">Job alerts in this browser</legend>
      <label>
        <input
          type="checkbox"
          checked={settings.desktop}
          onChange={(e) => setSettings({ desktop: e.target.checked })}
        />{' '}
        Notify me when a job fails
      </label>
      {settings.desktop && permission === 'default' && (
        <button type="button" className="secondary small-button" onClick={() => setSettings(settings)}>
          Allow notifications in this browser
        </button>
      )}
      {settings.desktop && permission === 'denied' && (
        <span className="field-error">The browser blocks notifications for this site.</span>
      )}
      {settings.desktop && permission === 'unsupported' && (
        <span className="muted small">This browser has no desktop notifications.</span>
      )}
    </fieldset>
  );
}
