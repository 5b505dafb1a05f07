/* Throughput test sender: sends the datagrams of a file ([u16 length][bytes]...) to
 * HOST:PORT over and over for SECONDS, as fast as sendmmsg(2) allows or at RATE
 * datagrams per second, then prints the number sent. Loopback only (the test passes
 * 127.0.0.1). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: blast FILE HOST PORT SECONDS [RATE]\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(size);
  if (fread(data, 1, size, f) != (size_t)size) { perror("read"); return 2; }
  fclose(f);
  int n = 0;
  for (long o = 0; o + 2 <= size; o += 2 + (data[o] << 8 | data[o + 1])) n++;
  struct iovec *iov = calloc(n, sizeof *iov);
  int i = 0;
  for (long o = 0; o + 2 <= size; o += 2 + (data[o] << 8 | data[o + 1])) {
    iov[i].iov_base = data + o + 2;
    iov[i].iov_len = data[o] << 8 | data[o + 1];
    i++;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(atoi(argv[3]));
  inet_pton(AF_INET, argv[2], &a.sin_addr);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 2; }
  struct mmsghdr m[BATCH];
  double start = now();
  double end = start + atof(argv[4]);
  double rate = argc > 5 ? atof(argv[5]) : 0;
  long sent = 0;
  int next = 0;
  for (double t = start; t < end; t = now()) {
    if (rate > 0 && sent > (t - start) * rate) continue; /* ahead of the pace: spin */
    for (int k = 0; k < BATCH; k++) {
      memset(&m[k], 0, sizeof m[k]);
      m[k].msg_hdr.msg_iov = &iov[(next + k) % n];
      m[k].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(s, m, BATCH, 0);
    if (r > 0) {
      sent += r;
      next = (next + r) % n;
    }
  }
  printf("%ld\n", sent);
  return 0;
}
