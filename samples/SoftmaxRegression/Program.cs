// Trains a softmax-regression classifier on Fisher's Iris data with plain gradient descent, using only the Xent
// kernel for the loss and its gradient, and prints the loss and accuracy as it trains.
using System;
using System.Globalization;
using Xent.Samples;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine("Softmax regression on Iris: 120 training and 30 test flowers, full-batch gradient descent, learning rate 0.5");
Console.WriteLine("step   train loss   train accuracy   test accuracy");
foreach (Training.Epoch e in Training.Run(steps: 200, learningRate: 0.5f, every: 20))
{
    Console.WriteLine($"{e.Step,4}   {e.TrainLoss,10:0.0000}   {e.TrainAccuracy,14:P1}   {e.TestAccuracy,13:P1}");
}
