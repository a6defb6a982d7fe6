export { RemoteSetpoint, type RemoteOptions } from './remote.js';
export type { SetpointClient } from './types.js';
