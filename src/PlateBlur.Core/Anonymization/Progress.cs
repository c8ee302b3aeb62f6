namespace PlateBlur.Core.Anonymization;

/// <summary>Where a long run stands: frames done of the total, plates masked so far.</summary>
public readonly record struct AnonymizeProgress(string File, long FramesDone, long FramesTotal, long Masks, TimeSpan Elapsed);
