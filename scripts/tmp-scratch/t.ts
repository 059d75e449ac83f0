import * as pw from "parquet-wasm/node";
import { tableFromArrays, tableToIPC, tableFromIPC } from "apache-arrow";
import { parseFooter, footerLength, rowGroupFile, mergedTrailer, int64Of, PARQUET_MAGIC } from "/work/wt/query/src/query/parquet-layout.ts";
const n = 10000;
const t = tableFromArrays({ id: Array.from({length:n},(_, i)=>`id${String(i).padStart(5,"0")}`), v: BigInt64Array.from({length:n},(_, i)=>BigInt(i)) });
const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(3000).build();
const bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t,"stream")), props);
const len = footerLength(bytes.subarray(bytes.length-8));
const layout = parseFooter(bytes.subarray(bytes.length-8-len, bytes.length-8), bytes.length);
console.log(layout.numRows, layout.rowGroups.map(g=>[g.index,g.numRows,g.start,g.end, new TextDecoder().decode(g.columns.get("id")!.min), int64Of(g.columns.get("v")!.max!)]));
const g = layout.rowGroups[2]!;
const mini = rowGroupFile(layout, g, bytes.subarray(g.start, g.end));
const back = tableFromIPC(pw.readParquet(mini).intoIPCStream());
console.log(back.numRows, back.get(0)?.toJSON());
// merge two
const parts=[bytes, bytes];
const layouts = parts.map(b=>{const l=footerLength(b.subarray(b.length-8)); return parseFooter(b.subarray(b.length-8-l,b.length-8), b.length)});
const tr = mergedTrailer(layouts);
const chunks=[PARQUET_MAGIC, ...parts.map((b,i)=>b.subarray(4, layouts[i]!.footerStart)), tr];
const total=chunks.reduce((a,c)=>a+c.length,0); const m=new Uint8Array(total); let o=0; for(const c of chunks){m.set(c,o);o+=c.length;}
const mt = tableFromIPC(pw.readParquet(m).intoIPCStream());
console.log(mt.numRows, mt.get(15000)?.toJSON());
