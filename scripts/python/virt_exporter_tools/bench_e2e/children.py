"""The processes a run starts (exporters, nginx, wrk, builds, the testbed scripts), each stopped on
exit however the run ends."""

import subprocess


class Children:
    """Tracks the processes it starts; stop_all() stops those still running."""

    def __init__(self, log):
        self.log = log
        self.running = []

    def start(self, command, log_path, name=None):
        """Starts `command` in the background with its output in `log_path`."""
        with open(log_path, "w") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.running.append(process)
        self.log(f"started {name or command[0]} (pid {process.pid}): {' '.join(command)}")
        return process

    def run(self, command, log_path, timeout=None):
        """Runs `command` to its end (killed after `timeout` seconds) with its output in `log_path`;
        returns its exit status."""
        with open(log_path, "w") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.running.append(process)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            return None
        finally:
            self.forget(process)

    def forget(self, process):
        if process in self.running:
            self.running.remove(process)

    def stop(self, process, grace=10):
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.forget(process)

    def stop_all(self):
        for process in list(self.running):
            self.stop(process)
