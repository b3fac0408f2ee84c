using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Binding;

/// <summary>Models, channels, journeys and tests: their properties and the rules of each kind.</summary>
internal sealed partial class Binder
{
    private static readonly string[] ModelOptions = ["algorithm", "horizon", "seed", "min_labels"];
    private static readonly string[] ClusterOptions = ["k", "seed", "scale"];
    private static readonly string[] Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    private void BindModel(ModelSymbol model)
    {
        if (model.IsRecommender) { BindRecommender(model); return; }
        var (file, declaration) = _declarations[model];
        var syntax = (ModelDeclarationSyntax)declaration;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scope = new Scope(file) { Context = "model" };
        model.Algorithm = model.IsClusters ? ModelAlgorithm.KMeans : ModelAlgorithm.FastTree;
        model.Seed = 0;
        long? horizon = null;
        TextSpan? algorithmSpan = null;

        foreach (var property in syntax.Properties)
        {
            var key = property switch
            {
                PredictPropertySyntax => "predict",
                FeaturesPropertySyntax => "features",
                ModelOptionSyntax o => o.Name.Text,
                _ => "",
            };
            if (!seen.Add(key)) { Report(RuleErrors.PropertyGivenTwice(key), file, property.Span); continue; }
            switch (property)
            {
                case PredictPropertySyntax predict when model.IsClusters:
                    Report(ModelErrors.PredictOnClusters(), file, predict.Span);
                    break;
                case PredictPropertySyntax predict:
                    var labelScope = scope with { AllowNext = true, AllowPopulation = false };
                    var label = BindExpression(predict.Label, labelScope);
                    if (!label.Type.IsError && label.Type.Kind != TypeKind.Bool && !label.Type.IsNumeric)
                    {
                        Report(ModelErrors.LabelType(file.ToString(predict.Label.Span), label.Type), file, predict.Label.Span);
                        label = new BoundErrorExpression();
                    }
                    model.PredictLabel = label;
                    var windows = BoundTree.Descendants(model.PredictLabel).OfType<BoundAggregate>()
                        .Where(a => a.LooksForward).Select(a => a.WindowTicks ?? 0).ToList();
                    if (windows.Count == 0 && !model.PredictLabel.Type.IsError)
                        Report(RuleErrors.LabelWithoutForward(), file, predict.Label.Span);
                    else if (windows.Count > 0) model.HorizonTicks = windows.Max();
                    break;
                case FeaturesPropertySyntax features:
                    var bound = ImmutableArray.CreateBuilder<BoundExpression>();
                    var names = ImmutableArray.CreateBuilder<string>();
                    foreach (var feature in features.Features)
                    {
                        var f = BindExpression(feature, scope);
                        if (!f.Type.IsError && !f.Type.IsNumeric && f.Type.Kind != TypeKind.Bool)
                            Report(RuleErrors.FeatureNotNumber(file.ToString(feature.Span), f.Type), file, feature.Span);
                        bound.Add(f);
                        names.Add(file.ToString(feature.Span));
                    }
                    model.Features = bound.ToImmutable();
                    model.FeatureNames = names.ToImmutable();
                    break;
                case ModelOptionSyntax option:
                    if (option.Name.Text == "algorithm") algorithmSpan = option.Value.Span;
                    BindModelOption(model, option, file, ref horizon);
                    break;
            }
        }
        if (!model.IsClusters && model.PredictLabel is null)
            Report(RuleErrors.MissingModelProperty(model.Name, "predict"), file, syntax.Name.Span);
        if (model.Features.IsEmpty)
            Report(RuleErrors.MissingModelProperty(model.Name, "features"), file, syntax.Name.Span);
        if (model.IsClusters && model.ClusterCount == 0)
            Report(RuleErrors.MissingModelProperty(model.Name, "k"), file, syntax.Name.Span);
        if (horizon is { } h) model.HorizonTicks = Math.Max(model.HorizonTicks, h);
        if (model.IsRegression && model.Algorithm == ModelAlgorithm.Logistic && algorithmSpan is { } span)
            Report(ModelErrors.AlgorithmForRegression(model.Name), file, span);
    }

    private void BindModelOption(ModelSymbol model, ModelOptionSyntax option, SourceText file, ref long? horizon)
    {
        var name = option.Name.Text;
        var allowed = model.IsClusters ? ClusterOptions : ModelOptions;
        if (!allowed.Contains(name))
        {
            var properties = (model.IsClusters ? new[] { "features" } : ["predict", "features"]).Concat(allowed).ToList();
            var suggestion = NameSuggestions.Closest(name, allowed.Concat(model.IsClusters ? ["features"] : ["predict", "features"]));
            Report(NameErrors.UnknownModelProperty(model.IsClusters, name, properties, suggestion), file, option.Name.Span);
            return;
        }
        var value = option.Value;
        switch (name)
        {
            case "algorithm":
                var algorithmName = BareWord(value);
                model.Algorithm = algorithmName switch
                {
                    "fasttree" => ModelAlgorithm.FastTree,
                    "lightgbm" => ModelAlgorithm.LightGbm,
                    "logistic" => ModelAlgorithm.Logistic,
                    _ => ReportAlgorithm(algorithmName),
                };
                break;
            case "horizon" when value is LiteralExpressionSyntax { Kind: LiteralKind.Duration, Value: long ticks } && ticks > 0:
                horizon = ticks;
                break;
            case "horizon":
                Report(RuleErrors.HorizonNotDuration(file.ToString(value.Span)), file, value.Span);
                break;
            case "k" when value is LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long k } && k is >= 2 and <= 100:
                model.ClusterCount = (int)k;
                break;
            case "k":
                Report(ModelErrors.ClusterCount(file.ToString(value.Span)), file, value.Span);
                break;
            case "seed" when value is LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long seed } && seed is >= 0 and <= int.MaxValue:
                model.Seed = (int)seed;
                break;
            case "seed":
                Report(ModelErrors.Seed(file.ToString(value.Span)), file, value.Span);
                break;
            case "min_labels"
                when value is LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long minimum } && minimum is >= 1 and <= int.MaxValue:
                model.MinimumLabels = (int)minimum;
                break;
            case "min_labels":
                Report(ModelErrors.MinLabels(file.ToString(value.Span)), file, value.Span);
                break;
            case "scale":
                switch (BareWord(value))
                {
                    case "standard": model.Standardize = true; break;
                    case "none": model.Standardize = false; break;
                    default: Report(ModelErrors.Scale(file.ToString(value.Span)), file, value.Span); break;
                }
                break;
        }

        ModelAlgorithm ReportAlgorithm(string written)
        {
            Report(ModelErrors.UnknownAlgorithm(written, NameSuggestions.Closest(written, ["fasttree", "lightgbm", "logistic"])), file, value.Span);
            return ModelAlgorithm.FastTree;
        }

        string BareWord(ExpressionSyntax v) => v switch
        {
            NameExpressionSyntax n => n.Name.Text,
            LiteralExpressionSyntax { Value: string s } => s,
            _ => file.ToString(v.Span),
        };
    }

    /// <summary>
    /// After every model is bound: an output read that does not fit the model's kind (a classifier's
    /// `probability` of a regression, its `value` of a classifier), and features that depend on
    /// their own model (through tags), which would make a model learn from itself.
    /// </summary>
    private void CheckModels()
    {
        foreach (var (file, span, model, output) in _modelOutputUses)
        {
            if (model.IsClusters || model.PredictLabel is null or { Type.IsError: true }) continue;
            var fits = output is ModelOutput.Percentile
                || (model.IsRegression ? output is ModelOutput.Value : output is ModelOutput.Probability or ModelOutput.Predicted);
            if (fits) continue;
            string[] members = model.IsRegression ? ["value", "percentile"] : ["probability", "predicted", "percentile"];
            var member = file.ToString(span);
            Report(ModelErrors.OutputOfOtherKind(model.Name, model.IsRegression, member, members, NameSuggestions.Closest(member, members)),
                file, span);
        }
        foreach (var model in _models.Where(m => !m.IsRecommender))
        {
            var (file, _) = _declarations[model];
            var syntax = (ModelDeclarationSyntax)_declarations[model].Syntax;
            var featureSyntax = syntax.Properties.OfType<FeaturesPropertySyntax>().FirstOrDefault();
            for (var i = 0; i < model.Features.Length && featureSyntax is not null && i < featureSyntax.Features.Length; i++)
                if (ModelsUsedBy(model.Features[i]).Contains(model))
                    Report(ModelErrors.FeatureUsesModel(model.FeatureNames[i], model.Name), file, featureSyntax.Features[i].Span);
        }
    }

    /// <summary>The models an expression reads, directly or through the tags, segments and features it depends on.</summary>
    internal static HashSet<ModelSymbol> ModelsUsedBy(BoundExpression expression)
    {
        var models = new HashSet<ModelSymbol>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<BoundExpression>([expression]);
        while (stack.Count > 0)
        {
            foreach (var node in BoundTree.Descendants(stack.Pop()))
            {
                if (node is BoundModelOutput output && models.Add(output.Model))
                    foreach (var feature in output.Model.Features) stack.Push(feature);
                if (node is BoundSymbolReference { Symbol: ComputedSymbol symbol } && seen.Add(symbol))
                    foreach (var root in RootsOf(symbol)) stack.Push(root);
            }
        }
        return models;
    }

    /// <summary>`value FIELD` of a goal: a number field of the goal event (its revenue per conversion).</summary>
    private FieldSymbol? BindGoalValue(EventTypeSymbol goalEvent, IdentifierSyntax field, SourceText file)
    {
        if (goalEvent.Find(field.Text) is not { } symbol)
        {
            Report(NameErrors.UnknownEventField(goalEvent.Name, field.Text, FieldList(goalEvent),
                NameSuggestions.Closest(field.Text, goalEvent.Fields.Select(f => f.Name))), file, field.Span);
            return null;
        }
        if (!symbol.Type.IsNumeric)
        {
            Report(TypeErrors.GoalValueNotNumber(goalEvent.Name, symbol.Name, symbol.Type), file, field.Span);
            return null;
        }
        return symbol;
    }

    private void BindChannel(ChannelSymbol channel)
    {
        var (file, declaration) = _declarations[channel];
        var syntax = (ChannelDeclarationSyntax)declaration;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in syntax.Properties)
        {
            var key = property switch { CapPropertySyntax => "cap", QuietPropertySyntax => "quiet", ChannelOptionSyntax o => o.Name.Text, _ => "" };
            if (!seen.Add(key)) { Report(RuleErrors.PropertyGivenTwice(key), file, property.Span); continue; }
            switch (property)
            {
                case CapPropertySyntax cap:
                    if (cap.Count < 1) Report(RuleErrors.CapCountTooSmall(), file, cap.CountSpan);
                    if (cap.Window.Ticks <= 0) Report(RuleErrors.CapWindowNotPositive(), file, cap.Window.Span);
                    channel.CapCount = (int)Math.Min(cap.Count, int.MaxValue);
                    channel.CapWindowTicks = cap.Window.Ticks;
                    break;
                case QuietPropertySyntax quiet:
                    if (quiet.FromMinute == quiet.ToMinute) Report(RuleErrors.QuietHoursEmpty(), file, quiet.Span);
                    channel.Quiet = (quiet.FromMinute, quiet.ToMinute);
                    break;
                case ChannelOptionSyntax { Name.Text: "cost" } cost:
                    if (cost.Value is LiteralExpressionSyntax { Value: long l }) channel.Cost = l;
                    else if (cost.Value is LiteralExpressionSyntax { Value: decimal d }) channel.Cost = d;
                    else { Report(RuleErrors.CostNotNumber(), file, cost.Value.Span); break; }
                    if (channel.Cost < 0) Report(RuleErrors.CostNegative(), file, cost.Value.Span);
                    break;
                case ChannelOptionSyntax option:
                    Report(NameErrors.UnknownChannelProperty(option.Name.Text, NameSuggestions.Closest(option.Name.Text, ["cost", "cap", "quiet"])),
                        file, option.Name.Span);
                    break;
            }
        }
    }

    private void BindJourney(JourneySymbol journey)
    {
        var (file, declaration) = _declarations[journey];
        var syntax = (JourneyDeclarationSyntax)declaration;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scope = new Scope(file, AllowPopulation: false) { Context = "journey" };
        _splitCount = 0;
        foreach (var property in syntax.Properties)
        {
            var key = property switch
            {
                TriggerPropertySyntax => "trigger", AudiencePropertySyntax => "audience", ReentryPropertySyntax => "reentry",
                GoalPropertySyntax => "goal", HoldoutPropertySyntax => "holdout", _ => "",
            };
            if (!seen.Add(key)) { Report(RuleErrors.PropertyGivenTwice(key), file, property.Span); continue; }
            switch (property)
            {
                case TriggerPropertySyntax t:
                    journey.Trigger = BindTrigger(t.Trigger, scope);
                    break;
                case AudiencePropertySyntax a:
                    journey.Audience = BindCondition(a.Condition, scope, ConditionPlace.Audience);
                    _journeyConditions.Add((journey, journey.Audience, file, a.Condition.Span, ConditionPlace.Audience));
                    break;
                case ReentryPropertySyntax r:
                    if (r.Window is { Ticks: <= 0 }) Report(RuleErrors.ReentryWindowNotPositive(), file, r.Window.Span);
                    journey.Reentry = new BoundReentry(r.Always, r.Window?.Ticks);
                    break;
                case GoalPropertySyntax g:
                    if (LookupEvent(g.Event, scope) is { } goalEvent)
                    {
                        var where = g.Where is null ? null : BindCondition(g.Where, scope with { Event = goalEvent }, ConditionPlace.GoalWhere);
                        if (g.Window.Ticks <= 0) Report(RuleErrors.GoalWindowNotPositive(), file, g.Window.Span);
                        var goalValue = g.ValueField is { } v ? BindGoalValue(goalEvent, v, file) : null;
                        journey.Goal = new BoundGoal(goalEvent, where, g.Window.Ticks, goalValue);
                    }
                    break;
                case HoldoutPropertySyntax h:
                    if (h.Percent >= 100) Report(RuleErrors.HoldoutTooLarge(), file, h.Span);
                    journey.HoldoutPercent = h.Percent;
                    break;
            }
        }
        if (journey.Trigger is null && !seen.Contains("trigger"))
            Report(RuleErrors.JourneyWithoutTrigger(journey.Name), file, syntax.Name.Span);
        if (syntax.Steps is null || syntax.Steps.Steps.IsEmpty)
            Report(UsageWarnings.JourneyWithoutSteps(journey.Name), file, syntax.Name.Span);
        else
            journey.Steps = BindSteps(syntax.Steps, scope, journey);
    }

    private EventTypeSymbol? LookupEvent(IdentifierSyntax name, Scope scope)
    {
        if (name.IsMissing) return null;
        if (_schema.FindEvent(name.Text) is { } ev)
        {
            _references[name] = new EventTypeRef(ev, null);
            return ev;
        }
        var eventNames = _schema.Events.Select(e => e.Name);
        Report(NameErrors.UnknownEvent(name.Text, eventNames, NameSuggestions.Closest(name.Text, eventNames)), scope.File, name.Span);
        return null;
    }

    private BoundTrigger? BindTrigger(TriggerSyntax trigger, Scope scope)
    {
        switch (trigger)
        {
            case EventTriggerSyntax e:
                if (LookupEvent(e.Event, scope) is not { } ev) return null;
                var where = e.Where is null ? null : BindCondition(e.Where, scope with { Event = ev }, ConditionPlace.TriggerWhere);
                if (where is not null) _journeyConditions.Add((null, where, scope.File, e.Where!.Span, ConditionPlace.TriggerWhere));
                return new BoundEventTrigger(ev, where);
            case CalendarTriggerSyntax c:
                int? weekday = null;
                if (c.Period.Text != "day")
                {
                    var index = Array.IndexOf(Weekdays, c.Period.Text);
                    if (index < 0)
                    {
                        Report(RuleErrors.UnknownSchedulePeriod(c.Period.Text, NameSuggestions.Closest(c.Period.Text, Weekdays.Append("day"))),
                            scope.File, c.Period.Span);
                        return null;
                    }
                    weekday = index + 1;
                }
                return new BoundCalendarTrigger(weekday, c.AtMinute ?? 0);
            case IntervalTriggerSyntax i:
                if (i.Interval.Ticks < TimeSpan.TicksPerMinute)
                {
                    Report(RuleErrors.ScheduleTooFrequent(), scope.File, i.Interval.Span);
                    return null;
                }
                return new BoundIntervalTrigger(i.Interval.Ticks);
            case SegmentTriggerSyntax s:
                if (s.Segment.IsMissing) return null;
                if (_values.TryGetValue(s.Segment.Text, out var symbol) && symbol is SegmentSymbol segment)
                {
                    _references[s.Segment] = segment;
                    var place = s.Enters ? ConditionPlace.EntersSegment : ConditionPlace.LeavesSegment;
                    _journeyConditions.Add((null, new BoundSymbolReference(segment), scope.File, s.Segment.Span, place));
                    return new BoundSegmentTrigger(segment, s.Enters);
                }
                Report(NameErrors.UnknownSegment(s.Segment.Text, NameSuggestions.Closest(s.Segment.Text, _segments.Select(g => g.Name))),
                    scope.File, s.Segment.Span);
                return null;
        }
        return null;
    }

    private ImmutableArray<BoundStep> BindSteps(StepBlockSyntax block, Scope scope, JourneySymbol journey)
    {
        var steps = ImmutableArray.CreateBuilder<BoundStep>();
        var exited = false;
        var reportedDead = false;
        foreach (var step in block.Steps)
        {
            if (exited)
            {
                // One warning per run of dead steps; the dead steps are still checked (an unknown
                // channel there is still a mistake) but never run, so they are not kept.
                if (!reportedDead) Report(RuleErrors.UnreachableStep(), scope.File, step.Span);
                reportedDead = true;
                BindSteps(new StepBlockSyntax([step], step.Span), scope, journey);
                continue;
            }
            var location = Loc(scope.File, step);
            switch (step)
            {
                case WaitStepSyntax w:
                    if (w.Duration.Ticks <= 0) Report(RuleErrors.WaitNotPositive(), scope.File, w.Duration.Span);
                    EventTypeSymbol? until = w.UntilEvent is null ? null : LookupEvent(w.UntilEvent, scope);
                    var untilWhere = until is not null && w.Where is not null
                        ? BindCondition(w.Where, scope with { Event = until }, ConditionPlace.WaitWhere)
                        : null;
                    steps.Add(new BoundWait(w.Duration.Ticks, until, untilWhere, location));
                    break;
                case SendStepSyntax s:
                    if (s.Channel.IsMissing) break;
                    if (!_channels.TryGetValue(s.Channel.Text, out var channel))
                    {
                        Report(NameErrors.UnknownChannel(s.Channel.Text, _channels.Keys, NameSuggestions.Closest(s.Channel.Text, _channels.Keys)),
                            scope.File, s.Channel.Span);
                        break;
                    }
                    _used.Add(channel);
                    _references[s.Channel] = channel;
                    if (s.Template.Text.Length == 0) Report(RuleErrors.TemplateEmpty(), scope.File, s.Template.Span);
                    steps.Add(new BoundSend(channel, s.Template.Text, s.Offer?.Text, location, BindSendItems(s, scope, journey)));
                    break;
                case IfStepSyntax i:
                    steps.Add(BindIf(i, scope, journey));
                    break;
                case SplitStepSyntax s:
                    var total = s.Branches.Sum(b => b.Percent);
                    if (s.Branches.Length < 2)
                        Report(RuleErrors.SplitTooFewBranches(), scope.File, s.Span);
                    else if (total != 100)
                        Report(RuleErrors.SplitShares(total), scope.File, s.Span);
                    if (s.WinnerAfter is { Ticks: <= 0 }) Report(RuleErrors.WinnerPeriodNotPositive(), scope.File, s.WinnerAfter.Span);
                    if (s.WinnerAfter is not null && journey.Goal is null && !_declarations[journey].Syntax.Equals(null))
                    {
                        var hasGoal = ((JourneyDeclarationSyntax)_declarations[journey].Syntax).Properties.OfType<GoalPropertySyntax>().Any();
                        if (!hasGoal) Report(RuleErrors.SplitWinnerWithoutGoal(), scope.File, s.WinnerAfter.Span);
                    }
                    // LANGUAGE.md §15.5: an unnamed split is `#N`, N its 1-based position among the
                    // journey's splits in source order (named ones count too).
                    var splitNumber = ++_splitCount;
                    var splitName = s.Name?.Text ?? $"#{splitNumber}";
                    steps.Add(new BoundSplit(splitName, s.WinnerAfter?.Ticks,
                        [.. s.Branches.Select(b => new BoundSplitBranch(b.Percent, BindSteps(b.Body, scope, journey)))], location));
                    break;
                case ExitStepSyntax:
                    steps.Add(new BoundExit(location));
                    exited = true;
                    break;
            }
        }
        return steps.ToImmutable();
    }

    private BoundIf BindIf(IfStepSyntax syntax, Scope scope, JourneySymbol journey)
    {
        var condition = BindCondition(syntax.Condition, scope, ConditionPlace.IfCondition);
        _journeyConditions.Add((journey, condition, scope.File, syntax.Condition.Span, ConditionPlace.IfCondition));
        var then = BindSteps(syntax.Then, scope, journey);
        ImmutableArray<BoundStep> @else = syntax.ElseIf is not null ? [BindIf(syntax.ElseIf, scope, journey)]
            : syntax.Else is not null ? BindSteps(syntax.Else, scope, journey) : [];
        if (syntax.Then.Steps.IsEmpty) Report(RuleErrors.EmptyBlock(), scope.File, syntax.Then.Span);
        return new BoundIf(condition, then, @else, Loc(scope.File, syntax));
    }

    /// <summary>
    /// Journey conditions are evaluated for one user at one instant (LANGUAGE.md §15.7), but a
    /// population value (quantile_score, a model's percentile, or anything that depends on one)
    /// ranks every user as of one T. A model's per-user outputs are fine: the user's features are
    /// scored alone. Runs after <see cref="EvaluationOrder"/>, which sets the phases.
    /// </summary>
    private void CheckJourneyConditions()
    {
        foreach (var (_, condition, file, span, what) in _journeyConditions)
        {
            if (BoundTree.PhaseOf(condition) == 0) continue;
            switch (PopulationDependence(condition))
            {
                case (BoundModelOutput percentile, var via):
                    Report(TypeErrors.PercentileInJourney(what, percentile.Model.Name, via?.Name,
                        percentile.Model.IsRegression ? "value" : "probability"), file, span);
                    break;
                case (_, var via):
                    Report(TypeErrors.PopulationInJourney(what, via?.Name), file, span);
                    break;
            }
        }
    }

    /// <summary>
    /// The first population node (a quantile_score or a model's percentile) an expression depends on,
    /// through tags, segments and models' features, with the declaration the expression names that
    /// leads to it (null: the expression itself); null when it depends on none.
    /// </summary>
    private static (BoundExpression Node, ComputedSymbol? Via)? PopulationDependence(BoundExpression root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(BoundExpression Expression, ComputedSymbol? Via)>([(root, null)]);
        while (pending.Count > 0)
        {
            var (expression, via) = pending.Pop();
            foreach (var node in BoundTree.Descendants(expression))
            {
                switch (node)
                {
                    case BoundQuantileScore:
                    case BoundModelOutput { Output: ModelOutput.Percentile }:
                        return (node, via);
                    case BoundModelOutput output when seen.Add(output.Model):
                        foreach (var feature in output.Model.Features) pending.Push((feature, via));
                        break;
                    case BoundSymbolReference reference when seen.Add(reference.Symbol):
                        foreach (var r in RootsOf(reference.Symbol)) pending.Push((r, via ?? reference.Symbol));
                        break;
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ tests

    private void BindTest(TestSymbol test)
    {
        var (file, declaration) = _declarations[test];
        var syntax = (TestDeclarationSyntax)declaration;
        var statements = ImmutableArray.CreateBuilder<BoundTestStatement>();
        var profiles = 0;
        var sawAsOf = false;
        var scope = new Scope(file, AllowPopulation: true) { Context = "test" };
        foreach (var statement in syntax.Statements)
        {
            var location = Loc(file, statement);
            switch (statement)
            {
                case GivenStatementSyntax given:
                    if (BindGiven(given, file) is { } bound)
                    {
                        statements.Add(bound);
                        if (bound.Event is null) profiles++;
                    }
                    break;
                case AsOfStatementSyntax asOf:
                    if (sawAsOf) Report(RuleErrors.SeveralAsOf(), file, asOf.Span);
                    sawAsOf = true;
                    var instant = asOf.Instant.Value switch
                    {
                        DateTime dt => (DateTime?)dt,
                        DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
                        _ => null,
                    };
                    if (instant is { } i) statements.Add(new BoundAsOf(i, location));
                    break;
                case ExpectStatementSyntax expect:
                    if (profiles == 0)
                    {
                        Report(RuleErrors.ExpectWithoutGiven(), file, expect.Span);
                        break;
                    }
                    var condition = BindCondition(expect.Condition, scope, ConditionPlace.Expectation);
                    if (UsesModel(condition) is { } model)
                        Report(RuleErrors.ExpectUsesModel(model.Name), file, expect.Condition.Span);
                    // An expectation is about the test's subject: the first given profile.
                    statements.Add(new BoundExpect(condition, file.ToString(expect.Condition.Span), 0, location));
                    break;
            }
        }
        if (!syntax.Statements.OfType<ExpectStatementSyntax>().Any())
            Report(RuleErrors.TestWithoutExpect(), file, syntax.Name.Span);
        test.Statements = statements.ToImmutable();
    }

    /// <summary>The model an expression depends on, directly or through tags, if any.</summary>
    private static ModelSymbol? UsesModel(BoundExpression expression)
    {
        var seen = new HashSet<ComputedSymbol>();
        var pending = new Stack<BoundExpression>([expression]);
        while (pending.Count > 0)
        {
            foreach (var node in BoundTree.Descendants(pending.Pop()))
            {
                if (node is BoundModelOutput output) return output.Model;
                if (node is not BoundSymbolReference { Symbol: var symbol } || !seen.Add(symbol)) continue;
                switch (symbol)
                {
                    case TagSymbol t: pending.Push(t.Body); break;
                    case SegmentSymbol g: pending.Push(g.Condition); break;
                    case SegmentationSymbol g: foreach (var r in g.Rules) if (r.Condition is not null) pending.Push(r.Condition); break;
                }
            }
        }
        return null;
    }

    private BoundGiven? BindGiven(GivenStatementSyntax given, SourceText file)
    {
        if (given.Kind.IsMissing) return null;
        IReadOnlyList<FieldSymbol> fields;
        EventTypeSymbol? ev = null;
        if (given.Kind.Text == "profile") fields = _schema.ProfileFields;
        else if (_schema.FindEvent(given.Kind.Text) is { } e) { ev = e; fields = e.Fields; }
        else
        {
            var kinds = _schema.Events.Select(x => x.Name).Append("profile");
            Report(NameErrors.UnknownGivenKind(given.Kind.Text, NameSuggestions.Closest(given.Kind.Text, kinds)), file, given.Kind.Span);
            return null;
        }
        var values = new object?[fields.Count];
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in given.Fields)
        {
            var index = -1;
            for (var i = 0; i < fields.Count; i++) if (fields[i].Name == field.Name.Text) index = i;
            if (index < 0)
            {
                var suggestion = NameSuggestions.Closest(field.Name.Text, fields.Select(f => f.Name));
                Report(NameErrors.UnknownGivenField(given.Kind.Text, field.Name.Text, suggestion), file, field.Name.Span);
                continue;
            }
            if (!set.Add(field.Name.Text)) { Report(RuleErrors.DuplicateGivenField(field.Name.Text), file, field.Span); continue; }
            values[index] = ConstantValue(field.Value, fields[index].Type, file);
        }
        var required = ev is null ? new[] { _schema.KeyField } : ["user_id", "ts"];
        foreach (var name in required.Where(r => !set.Contains(r)))
            Report(RuleErrors.GivenMissingField(given.Kind.Text, name), file, given.Kind.Span);
        return new BoundGiven(ev, [.. values], Loc(file, given));
    }

    /// <summary>A test value must be a literal of the field's type (ints are accepted for decimals, dates for datetimes).</summary>
    private object? ConstantValue(ExpressionSyntax syntax, DslType type, SourceText file)
    {
        // A list field takes a list literal whose items follow the item type's rules (null items allowed).
        if (type.IsList && syntax is ListExpressionSyntax list)
            return list.Items.Select(item => ConstantValue(item, type.Element ?? DslType.Error, file)).ToArray();
        var literal = syntax as LiteralExpressionSyntax;
        object? value = (literal?.Value, type.Kind) switch
        {
            (null, _) when literal is { Kind: LiteralKind.Null } => null,
            (long l, TypeKind.Decimal) => (decimal)l,
            (long l, TypeKind.Int) => l,
            (decimal d, TypeKind.Decimal) => d,
            (string s, TypeKind.String) => s,
            (bool b, TypeKind.Bool) => b,
            (DateOnly d, TypeKind.Date) => d,
            (DateOnly d, TypeKind.DateTime) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            (DateTime t, TypeKind.DateTime) => t,
            (long ticks, TypeKind.Duration) when literal!.Kind == LiteralKind.Duration => ticks,
            _ => Invalid(),
        };
        return value;

        object? Invalid()
        {
            if (type.Kind != TypeKind.Error && literal?.Kind != LiteralKind.Null)
                Report(TypeErrors.GivenValueMismatch(type), file, syntax.Span);
            return null;
        }
    }
}
