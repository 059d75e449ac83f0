/** The worker bindings the sdk project starts the worker with (see global-setup.ts). */
export const SDK_ACCESS_KEY_ID = "AKSDKTEST";
export const SDK_SECRET_ACCESS_KEY = "sdk-test-secret";
export const SDK_ACCOUNT_ID = "123456789012";
export const SDK_REGION = "us-east-1";
/** A fixed test master keyring (src/crypto/keyring.ts), never a real secret. */
export const SDK_MASTER_KEYS = "sdk-mk-1:c2RrLXRlc3QtbWFzdGVyLWtleS0tLS0tMzItYnl0ZXM=";
