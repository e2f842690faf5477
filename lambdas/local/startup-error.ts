/**
 * Something on this machine stops the local runtime from starting. Its
 * message is one line that names the file, directory or port and says what
 * to do; `npm start` prints it and exits non-zero, with nothing left running.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
