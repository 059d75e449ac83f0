import type { Context } from "hono";
import type { Principal } from "../auth";
import type { Env } from "../env";
import type { StoreContext } from "../service";
import type { UiSession } from "../ui/sessions";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    store: StoreContext;
    /** Set on SageMaker routes: errors then render in that API's wire shape. */
    wire?: { api: "runtime" | "control"; operation?: string };
    /** Set by "list" actions (src/http/authorize.ts): whether the caller may see a group in the results. */
    visibleGroup?: (name: string) => boolean;
    /** The access key an admin route changed, for its audit entry. */
    auditTarget?: string;
    /** Set on web catalog pages (src/ui): the signed-in session, whose key is the principal. */
    uiSession?: UiSession;
    /** The form fields of a web catalog POST, read once by its CSRF check. */
    uiForm?: URLSearchParams;
  };
};

export type AppContext = Context<AppEnv>;
