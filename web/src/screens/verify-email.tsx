// /verify-email?token=…: confirms the address once, on arrival.
import { useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { verifyEmail } from '../api/auth.ts';
import { keys } from '../api/keys.ts';
import { NO_TOKEN } from '../lib/error-words.ts';
import { AuthFrame } from './auth.tsx';
import { ErrorLine, LoadingState } from '../components/ui.tsx';

// The link is single use: a second POST of the same token (a re-mounted screen) would say "invalid".
const tried = new Set<string>();

export function VerifyEmailScreen() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const qc = useQueryClient();
  const verify = useMutation({ mutationFn: verifyEmail, onSuccess: () => void qc.invalidateQueries({ queryKey: keys.me }) });
  const { mutate } = verify;
  useEffect(() => {
    if (!token || tried.has(token)) return;
    tried.add(token);
    mutate(token);
  }, [token, mutate]);
  return (
    <AuthFrame title="Confirm your email" footer={<Link to="/" className="font-medium text-brand-700 hover:underline">Open Queunir</Link>}>
      {verify.isSuccess ? (
        <p role="status" data-testid="email-verified" className="text-sm">
          Your email address is confirmed. You can now invite your team.
        </p>
      ) : verify.isError || !token ? (
        <ErrorLine error={verify.error ?? NO_TOKEN} testId="verify-error" />
      ) : (
        <LoadingState label="Confirming…" />
      )}
    </AuthFrame>
  );
}
