/** The apiVersion of every document the CLI and the API write: its own module, so the CLI prints it without loading the API's contract. */
export const API_VERSION = 'setpoint.dev/v1';
