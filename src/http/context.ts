import type { Context } from "hono";
import type { Principal } from "../auth";
import type { Env } from "../env";
import type { StoreContext } from "../service";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    store: StoreContext;
    /** Set on SageMaker routes: errors then render in that API's wire shape. */
    wire?: { api: "runtime" | "control"; operation?: string };
  };
};

export type AppContext = Context<AppEnv>;
