// Which app this build is: the SaaS app behind the gateway, or the self-hosted single-slice app.
export const SAAS: boolean = import.meta.env.VITE_SAAS === '1';
