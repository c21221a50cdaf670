// Self-hosted build: the slice token, entered once and kept in this browser.
import { useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { getWa } from '../api/wa.ts';
import { isApiError, setSliceToken } from '../api/http.ts';
import { Button, ErrorText, TextField } from '../components/ui.tsx';

export function TokenScreen() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ReactNode>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const qc = useQueryClient();
  return (
    <main className="flex min-h-full items-center justify-center bg-stone-100 px-4">
      <form
        className="w-full max-w-sm space-y-4 rounded-xl border border-stone-200 bg-white p-6 shadow-sm"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!token.trim()) return setError('Enter the slice token.');
          setBusy(true);
          setSliceToken(token.trim());
          try {
            const wa = await getWa();
            qc.clear();
            qc.setQueryData(['wa'], wa);
            navigate(wa.state === 'READY' ? '/inbox' : '/link', { replace: true });
          } catch (err) {
            setSliceToken(null);
            setError(isApiError(err) && err.status === 401 ? 'That token was not accepted. Copy SLICE_TOKEN again and paste it here.' : <ErrorText error={err} />);
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 className="text-lg font-semibold">Connect to your Queunir server</h1>
        <p className="text-sm text-stone-500">Paste the slice token (SLICE_TOKEN) once; this browser keeps it.</p>
        <TextField id="slice-token" label="Slice token" type="password" value={token} onChange={(e) => setToken(e.target.value)} error={error} autoFocus />
        <Button type="submit" disabled={busy} className="w-full py-2">
          {busy ? 'Checking…' : 'Continue'}
        </Button>
      </form>
    </main>
  );
}
