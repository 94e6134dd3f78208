/**
 * A set of kernels registered for 'wasm' over whatever was registered under their names
 * before: that kernel stays their fallback (for the cases they do not handle) and comes
 * back when they are unregistered. The oneDNN addon's kernels (./native/) lie over the
 * JavaScript ones (./wasm-js-kernels.ts), which lie over tfjs's; a backend selection takes
 * the stack down before building it again (client/backend.ts), so that no set is
 * registered over one that falls back to it.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

export class KernelOverrides {
  private readonly previous = new Map<string, KernelConfig | undefined>();

  /** `label` names the set in errors; `funcs`: its kernels by name (asked when used, so they may be defined after). */
  constructor(
    private readonly label: string,
    private readonly funcs: () => Readonly<Record<string, KernelFunc>>,
  ) {}

  /**
   * Registers the set over what is registered (calling it again re-registers it), keeping
   * the replaced kernel's setupFunc, so that it is fine before the backend initializes.
   */
  register(): void {
    for (const [name, kernelFunc] of Object.entries(this.funcs())) {
      const current = getKernel(name, 'wasm');
      if (current?.kernelFunc !== kernelFunc) this.previous.set(name, current);
      if (current !== undefined) unregisterKernel(name, 'wasm');
      const prev = this.previous.get(name);
      registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: prev?.setupFunc, disposeFunc: prev?.disposeFunc });
    }
  }

  /** Restores the kernels `register` replaced, where the set's own are registered. */
  unregister(): void {
    for (const [name, kernelFunc] of Object.entries(this.funcs())) {
      if (getKernel(name, 'wasm')?.kernelFunc !== kernelFunc) continue;
      unregisterKernel(name, 'wasm');
      const prev = this.previous.get(name);
      if (prev !== undefined) registerKernel(prev);
    }
  }

  /** True when all of the set's kernels are the registered ones. */
  registered(): boolean {
    return Object.entries(this.funcs()).every(([name, f]) => getKernel(name, 'wasm')?.kernelFunc === f);
  }

  /** Runs the kernel the set replaced under `name`, for a case it does not handle (`why`). */
  fallback(name: string, args: unknown, why: string): TensorInfo {
    const prev = this.previous.get(name);
    if (prev === undefined) throw new Error(`${this.label} ${name}: ${why}, and no other wasm kernel is registered`);
    return prev.kernelFunc(args as Parameters<KernelFunc>[0]) as TensorInfo;
  }
}
