// The shell: navigation between panels, the connection bar, the theme toggle and the emergency stop on every
// page, the "Server unreachable" band while the server does not answer, the "E-stop active" band when it is in
// force, and the panel of the current route.

import { PANELS } from '../panels';
import { ConnectionBar } from './ConnectionBar';
import { EmergencyStopBanner, EmergencyStopButton } from './estop';
import { href, useRoute } from './router';
import { ServerBanner } from './ServerBanner';
import { ThemeToggle } from './theme';

export function App() {
  const [panelId, ...rest] = useRoute();
  const panel = PANELS.find((p) => p.id === panelId) ?? (PANELS[0] as (typeof PANELS)[number]);

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href={href(PANELS[0]?.id ?? '')}>
          LabLink
        </a>
        <nav aria-label="Panels" className="panels-nav">
          {PANELS.map((p) => (
            <a key={p.id} href={href(p.id)} aria-current={p.id === panel.id ? 'page' : undefined}>
              {p.title}
              {p.Badge && <p.Badge />}
            </a>
          ))}
        </nav>
        <ConnectionBar />
        <ThemeToggle />
        <EmergencyStopButton />
      </header>
      <ServerBanner />
      <EmergencyStopBanner />
      <main className="content">
        <panel.Component path={panel.id === panelId ? rest : []} />
      </main>
    </div>
  );
}
