import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { establishToken } from './api/client.js';
import { App } from './App.js';
import './styles.css';

establishToken().finally(() => {
  const root = document.getElementById('root');
  if (root)
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
});
