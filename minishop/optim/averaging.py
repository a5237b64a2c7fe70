"""Weight averaging: evaluate the mean of the weights that training passed through, not the last of them.

Stochastic weight averaging (SWA; Izmailov et al., "Averaging Weights Leads to Wider Optima and Better
Generalization", UAI 2018). With a constant learning rate, Adam does not settle at a minimum: every step
is pushed by a fresh random batch, fresh dropout masks and (for SASRec) fresh sampled negatives, so the
weights keep wandering around a wide region of low loss. Any one point of that walk sits near its edge;
their mean sits near its centre, where the model generalises better. So, once the walk has reached that
region, keep the running mean of the weights at the end of every epoch,

    θ̄_n = θ̄_{n-1} + (θ_n - θ̄_{n-1}) / n          the mean of θ_1 .. θ_n, updated without storing them

and validate, save and use θ̄, while training itself goes on from the raw weights θ. It costs one extra copy
of the weights and one update per epoch; on Amazon Games it lifts SASRec above the published scores
(bench/README.md).
"""

from contextlib import contextmanager


class WeightAverage:
    """The running mean θ̄ of a list of Parameters' values, and a way to put it into them for a while.

        average = WeightAverage(model.parameters())
        average.update()            # at the end of each epoch: θ̄ <- θ̄ + (θ - θ̄) / n
        with average.applied():     # inside: the parameters hold θ̄; afterwards θ again
            metrics = evaluate(model)
    """

    def __init__(self, parameters):
        self.parameters = list(parameters)
        self.means = None  # one array per parameter, once update() has run
        self.count = 0  # how many weight vectors the mean is over

    def update(self):
        """Fold the parameters' current values into the mean."""
        self.count += 1
        if self.means is None:
            self.means = [parameter.data.copy() for parameter in self.parameters]
            return
        for mean, parameter in zip(self.means, self.parameters):
            mean += (parameter.data - mean) / self.count  # in place: θ̄ + (θ - θ̄) / n

    @contextmanager
    def applied(self):
        """Within the `with` block the parameters hold the mean θ̄ (unchanged if nothing was averaged yet)."""
        if self.means is None:
            yield
            return
        raw = [parameter.data for parameter in self.parameters]
        for parameter, mean in zip(self.parameters, self.means):
            parameter.data = mean.copy()  # a copy: nothing done inside may alter the mean
        try:
            yield
        finally:
            for parameter, array in zip(self.parameters, raw):
                parameter.data = array

    def assign(self):
        """Put the mean into the parameters for good (the raw weights are dropped)."""
        if self.means is not None:
            for parameter, mean in zip(self.parameters, self.means):
                parameter.data = mean.copy()

    def load(self, count):
        """Take the parameters' current values as a mean over `count` weight vectors (resuming a run)."""
        self.means = [parameter.data.copy() for parameter in self.parameters]
        self.count = count
