// A second Worker for scripts/bench-rpc.mjs: it reads one record from the
// feature store the two ways another Worker can, and answers with a few
// bytes, so the client's share of each request is the same on every route.
//   GET /floor             no call: this Worker's own cost, the floor
//   GET /rpc?id=&stale=    FEATURE_STORE.getRecord over the RPC binding
//   GET /http?id=&stale=   GET /v1/feature-groups/{g}/records/{id} over the
//                          service binding's fetch, parsed as a caller would
// Both calls act as the same access key (props / bearer), so the policy and
// rate-limit work is the same; `stale` is a maxStalenessMs bound.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id");
    const stale = Number(url.searchParams.get("stale") ?? "0");
    let record;
    switch (url.pathname) {
      case "/floor":
        return Response.json({ features: 0 });
      case "/rpc": {
        const read = await env.FEATURE_STORE.getRecord({ featureGroup: env.GROUP, recordIdentifier: id, ...(stale > 0 ? { maxStalenessMs: stale } : {}) });
        if (!read.ok) return Response.json(read.error, { status: read.error.status });
        record = read.value.record;
        break;
      }
      case "/http": {
        const query = stale > 0 ? `?maxStalenessMs=${stale}` : "";
        const res = await env.STORE.fetch(`http://store/v1/feature-groups/${env.GROUP}/records/${encodeURIComponent(id)}${query}`, { headers: { authorization: env.AUTHORIZATION } });
        if (!res.ok) return new Response(await res.text(), { status: res.status });
        record = (await res.json()).record;
        break;
      }
      default:
        return new Response("not found", { status: 404 });
    }
    return Response.json({ features: Object.keys(record).length });
  },
};
