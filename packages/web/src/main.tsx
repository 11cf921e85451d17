// Entry point: one LabLink client for the page, talking to the server that served it. Its real-time link starts
// once the page may act (AuthGate: open mode or signed in).

import { LabLinkClient } from '@lablink/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { AuthGate } from './app/auth';
import { ClientProvider } from './app/client';
import { EStopProvider } from './app/estop';
import { NotificationsProvider } from './app/notifications';
import { ThemeProvider } from './app/theme';
import { AlarmsProvider } from './panels/alarms/AlarmsProvider';
import './styles.css';

const client = new LabLinkClient({ baseUrl: window.location.origin });
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <ThemeProvider>
      <ClientProvider client={client}>
        <NotificationsProvider>
          <AuthGate>
            <EStopProvider>
              <AlarmsProvider>
                <App />
              </AlarmsProvider>
            </EStopProvider>
          </AuthGate>
        </NotificationsProvider>
      </ClientProvider>
    </ThemeProvider>
  </StrictMode>,
);
