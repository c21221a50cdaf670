/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** '1' builds the SaaS app (accounts, billing, linking through the gateway). */
  readonly VITE_SAAS?: string;
}
