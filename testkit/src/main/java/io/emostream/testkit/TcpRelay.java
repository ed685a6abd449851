package io.emostream.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 between a client under test and a real server, that a test can make
 * misbehave: {@link #stall()} stops passing the server's bytes on while keeping every connection
 * open (a server that hangs mid-stream; new connections are accepted and get nothing), {@link
 * #reset()} cuts the open connections with a TCP reset (a dropped link), {@link #upstream} points
 * later connections at another server (the source coming back).
 */
public final class TcpRelay implements AutoCloseable {

  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicLong relayed = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private volatile InetSocketAddress upstream;
  private volatile boolean stalled;

  /** Relays to {@code upstream}; null: accepts connections and sends nothing (never answers). */
  public TcpRelay(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.stalled = upstream == null;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-relay-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Bytes passed from servers to clients so far. */
  public long relayed() {
    return relayed.get();
  }

  /** Connections accepted so far. */
  public long accepted() {
    return accepted.get();
  }

  public void upstream(InetSocketAddress address) {
    this.upstream = address;
    this.stalled = false;
  }

  public void stall() {
    stalled = true;
  }

  /** Cuts every open connection with a reset (SO_LINGER 0). */
  public void reset() {
    for (Socket socket : sockets) {
      try {
        socket.setSoLinger(true, 0);
        socket.close();
      } catch (IOException e) {
        // already gone
      }
    }
    sockets.clear();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        accepted.incrementAndGet();
        sockets.add(client);
        if (stalled) {
          continue; // held open, silent
        }
        Socket target = new Socket();
        try {
          target.connect(upstream, 5_000);
        } catch (IOException e) {
          sockets.remove(client);
          client.close();
          continue;
        }
        sockets.add(target);
        pipe(client, target, false);
        pipe(target, client, true);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pipe(Socket from, Socket to, boolean toClient) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (toClient && stalled) {
                    closed.await(); // hold everything open, pass nothing on
                    return;
                  }
                  out.write(buffer, 0, n);
                  if (toClient) {
                    relayed.addAndGet(n);
                  }
                }
                to.shutdownOutput();
              } catch (IOException e) {
                // one side went away: the other is closed below
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-relay-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed.countDown();
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    reset();
  }
}
