/**
 * The mock engine's floor for `npm run bench`: N bare custom resources (the root Stack counted)
 * registered in one program under `setMocks`, in a process of its own. Prints `{"resources":N}`.
 */
import * as pulumi from "@pulumi/pulumi";

class Bare extends pulumi.CustomResource {
  constructor(name: string) {
    super("bench:index:Bare", name, {});
  }
}

async function main(count: number): Promise<void> {
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "bench", "floor", false);
  await pulumi.runtime.runInPulumiStack(async () => {
    for (let i = 0; i < count - 1; i++) new Bare(`r${i}`);
    return {};
  });
  await new Promise((r) => setImmediate(r));
  console.log(JSON.stringify({ resources: count }));
}

main(Number(process.argv[2])).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
