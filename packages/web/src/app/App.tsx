// The shell: navigation between panels (Admin for admins only), the connection bar, the theme toggle, the user
// menu and the emergency stop on every page, the open-mode notice, the "Server unreachable" band while the server does not answer, the "E-stop active" band when it is in
// force, and the panel of the current route.

import { visiblePanels } from '../panels';
import { useIsHub } from '../panels/benches/useBenches';
import { OpenModeNotice, UserMenu, useRole } from './auth';
import { ConnectionBar } from './ConnectionBar';
import { EmergencyStopBanner, EmergencyStopButton } from './estop';
import { href, useRoute } from './router';
import { ServerBanner } from './ServerBanner';
import { ThemeToggle } from './theme';

export function App() {
  const [panelId, ...rest] = useRoute();
  const panels = visiblePanels(useRole(), useIsHub());
  const panel = panels.find((p) => p.id === panelId) ?? (panels[0] as (typeof panels)[number]);

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href={href(panels[0]?.id ?? '')}>
          LabLink
        </a>
        <nav aria-label="Panels" className="panels-nav">
          {panels.map((p) => (
            <a key={p.id} href={href(p.id)} aria-current={p.id === panel.id ? 'page' : undefined}>
              {p.title}
              {p.Badge && <p.Badge />}
            </a>
          ))}
        </nav>
        <ConnectionBar />
        <ThemeToggle />
        <UserMenu />
        <EmergencyStopButton />
      </header>
      <OpenModeNotice />
      <ServerBanner />
      <EmergencyStopBanner />
      <main className="content">
        <panel.Component path={panel.id === panelId ? rest : []} />
      </main>
    </div>
  );
}
