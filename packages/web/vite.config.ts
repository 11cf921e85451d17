import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @lablink/web` serves the app with hot reload and forwards the API and the WebSocket to a
// LabLink server started with `npm start` (override with LABLINK_URL). `npm run build` writes dist/, which the
// server serves at /.
const server = process.env.LABLINK_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': server,
      '/health': server,
      '/ws': { target: server, ws: true },
    },
  },
});
