# Helpers for the lineage TAP tests (test/t/010_lineage_*.pl): the loopback
# receiver (receiver.py, run with Debian's /usr/bin/python3, which has
# python3-jsonschema), waiting, and reading what it received.
package LineageTest;

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(usleep time);
use Test::More;

use Exporter 'import';
our @EXPORT =
  qw(start_receiver stop_receiver receiver_mode receiver_stats wait_until
  worker_pid runs_in_order duplicates lineage_dir);

my $dir = File::Spec->rel2abs(dirname(__FILE__));
my %running;	# receivers to stop when the test ends, however it ends

END
{
	kill 'KILL', keys %running;
}

sub lineage_dir { return $dir; }

# Start a receiver; port 0 picks a free one.  Returns {pid, port, portfile}.
sub start_receiver
{
	my ($tmp, %opt) = @_;
	my $port = $opt{port} // 0;
	my $portfile = "$tmp/receiver.port";
	unlink $portfile;
	local $ENV{DTECERT_TEST_API_KEY} = $opt{api_key} // '';
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>>', "$tmp/receiver.log");
		open(STDERR, '>>', "$tmp/receiver.log");
		exec('/usr/bin/python3', '-W', 'ignore', "$dir/receiver.py",
			'--port', $port, '--port-file', $portfile,
			'--mode', $opt{mode} // 'ok')
		  or die "exec: $!";
	}
	my $deadline = time() + 20;
	while (!-s $portfile)
	{
		die "the receiver did not start (see $tmp/receiver.log)"
		  if time() > $deadline;
		usleep(20_000);
	}
	$running{$pid} = 1;
	open(my $fh, '<', $portfile) or die;
	my $bound = <$fh>;
	close $fh;
	return { pid => $pid, port => $bound + 0 };
}

sub stop_receiver
{
	my ($r) = @_;
	kill 'KILL', $r->{pid};
	waitpid($r->{pid}, 0);
	delete $running{ $r->{pid} };
	return;
}

sub _get
{
	my ($r, $path) = @_;
	my $res = HTTP::Tiny->new(timeout => 10)
	  ->get("http://127.0.0.1:$r->{port}$path");
	die "receiver $path: $res->{status} $res->{content}" unless $res->{success};
	return decode_json($res->{content});
}

sub receiver_mode
{
	my ($r, $mode, $status) = @_;
	return _get($r, "/control?mode=$mode" . ($status ? "&status=$status" : ''));
}

sub receiver_stats { return _get($_[0], '/stats'); }

# Poll $cond (a sub) every 50 ms until true or $seconds pass; returns the
# seconds it took, or undef on timeout.
sub wait_until
{
	my ($cond, $seconds) = @_;
	my $start = time();
	while (time() - $start < $seconds)
	{
		return time() - $start if $cond->();
		usleep(50_000);
	}
	return undef;
}

sub worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dtecert lineage worker'}
	);
}

# For each run in @$events (received order): the first START precedes the
# first COMPLETE or FAIL, and both are there.  Returns the problems.
sub runs_in_order
{
	my ($events, $runs) = @_;
	my (%first, @problems);
	my $i = 0;
	for my $e (@$events)
	{
		$i++;
		next unless $e->{run};
		my $key = $e->{run}{runId} . ' ' . $e->{eventType};
		$first{$key} //= $i;
	}
	for my $run (@$runs)
	{
		my $start = $first{"$run START"};
		my $end = $first{"$run COMPLETE"} // $first{"$run FAIL"};
		push @problems, "run $run: no START" unless $start;
		push @problems, "run $run: no COMPLETE or FAIL" unless $end;
		push @problems, "run $run: START after its end"
		  if $start && $end && $start > $end;
	}
	return @problems;
}

# Events received more than once (same run and type, or same JobEvent).
sub duplicates
{
	my ($events) = @_;
	my %seen;
	my $dups = 0;
	for my $e (@$events)
	{
		my $key =
		  $e->{run}
		  ? $e->{run}{runId} . ' ' . $e->{eventType}
		  : join(' ', 'job', $e->{job}{name}, $e->{eventTime},
			map { $_->{name} } @{ $e->{outputs} || [] });
		$dups++ if $seen{$key}++;
	}
	return $dups;
}

1;
